/** What a route handler receives, and how it renders its answer. */
import type { Core } from '../core'
import type { KeyKind } from '../http/auth'
import type { StripeApiVersion } from '../http/versions'
import { readExpand, type FormObject } from '../params'
import { expandObject } from '../query/expand'
import type { Account } from '../state'
import type { EventRequest } from '../webhooks/events'

export interface RequestContext {
  core: Core
  account: Account
  /** Body parameters for POST, query parameters for GET and DELETE. */
  params: FormObject
  /** Named segments of the route, e.g. `{ id: 'pi_…' }`. */
  path: Record<string, string>
  /** Request id and idempotency key, copied into the events the request causes. */
  request: EventRequest
  keyKind: KeyKind
  /** The request's `Stripe-Version` (a known one), or the newest when it sent none. */
  version: StripeApiVersion
  clientIp: string | null
}

/** Returns the JSON body of a 200 answer, or throws an ApiError. */
export type Handler = (ctx: RequestContext) => unknown

/** A snapshot of `object` with the request's `expand[]` applied: later state changes do not leak into it. */
export function render<T>(ctx: RequestContext, object: T): T {
  return expandObject(ctx.account, object, readExpand(ctx.params))
}
