/** List endpoints: `{ object: 'list', data, has_more, url }`, newest first, with Stripe's cursor parameters. */
import { invalidRequest } from '../errors'
import { readInteger, readObject, readString, type FormObject } from '../params'

export interface ListObject<T> {
  object: 'list'
  data: T[]
  has_more: boolean
  url: string
}

/** Parameters every list endpoint accepts. */
export const LIST_PARAMS = [
  'limit',
  'starting_after',
  'ending_before',
  'created',
  'expand',
] as const

export function readLimit(params: FormObject): number {
  const limit = readInteger(params, 'limit') ?? 10
  if (limit < 1 || limit > 100) {
    throw invalidRequest(
      'Invalid limit: must be between 1 and 100',
      'limit',
      'parameter_invalid_integer',
    )
  }
  return limit
}

/** Keeps items whose `created` matches `created=<ts>` or `created[gt|gte|lt|lte]=<ts>`. */
function filterCreated<T extends { created: number }>(items: T[], params: FormObject): T[] {
  const value = params.created
  if (value === undefined) return items
  if (typeof value === 'string') {
    const exact = readInteger(params, 'created') as number
    return items.filter((i) => i.created === exact)
  }
  const range = readObject(params, 'created') ?? {}
  const bound = (name: string) => readInteger(range, name, { prefix: 'created' })
  const gt = bound('gt')
  const gte = bound('gte')
  const lt = bound('lt')
  const lte = bound('lte')
  return items.filter(
    (i) =>
      (gt === undefined || i.created > gt) &&
      (gte === undefined || i.created >= gte) &&
      (lt === undefined || i.created < lt) &&
      (lte === undefined || i.created <= lte),
  )
}

/** Pages `items` (given oldest first, as stored) newest first. */
export function paginate<T extends { id: string; created: number }>(
  items: Iterable<T>,
  params: FormObject,
  url: string,
): ListObject<T> {
  const limit = readLimit(params)
  const all = filterCreated([...items].reverse(), params)
  const startingAfter = readString(params, 'starting_after')
  const endingBefore = readString(params, 'ending_before')
  let page: T[]
  let hasMore: boolean
  if (startingAfter) {
    const index = all.findIndex((i) => i.id === startingAfter)
    if (index === -1)
      throw invalidRequest(
        `No such object: '${startingAfter}'`,
        'starting_after',
        'resource_missing',
      )
    const rest = all.slice(index + 1)
    page = rest.slice(0, limit)
    hasMore = rest.length > limit
  } else if (endingBefore) {
    const index = all.findIndex((i) => i.id === endingBefore)
    if (index === -1)
      throw invalidRequest(`No such object: '${endingBefore}'`, 'ending_before', 'resource_missing')
    const before = all.slice(0, index)
    page = before.slice(Math.max(0, before.length - limit))
    hasMore = before.length > limit
  } else {
    page = all.slice(0, limit)
    hasMore = all.length > limit
  }
  return { object: 'list', data: page, has_more: hasMore, url }
}
