/** /v1/events: the events the account emitted, for reconciliation without webhooks. */
import { resourceMissing } from '../errors'
import { readString, readStringArray, rejectUnknown } from '../params'
import { LIST_PARAMS, paginate } from '../query/list'
import { render, type RequestContext } from './context'

export function retrieveEvent(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, ['expand'])
  const id = ctx.path.id as string
  const event = ctx.account.events.get(id)
  if (!event) throw resourceMissing('event', id)
  return render(ctx, event)
}

/** `type` may end in `.*` (`charge.*`), as on Stripe; `types[]` lists several. */
function typeMatcher(pattern: string): (type: string) => boolean {
  if (pattern.endsWith('.*')) {
    const prefix = pattern.slice(0, -1)
    return (type) => type.startsWith(prefix)
  }
  return (type) => type === pattern
}

export function listEvents(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, [...LIST_PARAMS, 'type', 'types', 'delivery_success'])
  const type = readString(ctx.params, 'type')
  const types = readStringArray(ctx.params, 'types')
  const matchers = [...(type ? [type] : []), ...(types ?? [])].map(typeMatcher)
  const items = [...ctx.account.events.values()].filter(
    (e) => matchers.length === 0 || matchers.some((m) => m(e.type)),
  )
  return render(ctx, paginate(items, ctx.params, '/v1/events'))
}
