/** `expand[]`: replaces ids in an answer with the objects they name, e.g. `latest_charge` or `data.customer`. */
import { invalidRequest } from '../errors'
import type { Account } from '../state'

/** Fields holding an id that Stripe lets callers expand. */
const EXPANDABLE = new Set([
  'customer',
  'payment_method',
  'latest_charge',
  'payment_intent',
  'charge',
  'default_payment_method',
])

function cannotExpand(path: string) {
  return invalidRequest(`This property cannot be expanded (${path}).`, 'expand')
}

function expandPath(
  account: Account,
  target: unknown,
  segments: string[],
  path: string,
  depth: number,
): void {
  if (target === null || typeof target !== 'object') return
  const [head, ...rest] = segments as [string, ...string[]]
  const record = target as Record<string, unknown>
  if (head === 'data' && Array.isArray(record.data) && rest.length > 0) {
    for (const item of record.data) expandPath(account, item, rest, path, depth)
    return
  }
  if (!(head in record)) throw cannotExpand(path)
  let value = record[head]
  if (typeof value === 'string') {
    if (!EXPANDABLE.has(head)) throw cannotExpand(path)
    const found = account.lookup(value)
    if (found) {
      value = structuredClone(found)
      record[head] = value
    }
  } else if (value !== null && typeof value !== 'object') {
    throw cannotExpand(path)
  }
  if (rest.length > 0) {
    if (depth >= 4)
      throw invalidRequest(
        `You cannot expand more than 4 levels of a property (${path}).`,
        'expand',
      )
    expandPath(account, value, rest, path, depth + 1)
  }
}

/** Returns a copy of `object` with the `paths` expanded. */
export function expandObject<T>(account: Account, object: T, paths: readonly string[]): T {
  const copy = structuredClone(object)
  for (const path of paths) {
    if (path.length === 0) continue
    expandPath(account, copy, path.split('.'), path, 1)
  }
  return copy
}
