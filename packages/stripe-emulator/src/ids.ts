/** Stripe-shaped random identifiers: `pi_…`, `req_…`, client secrets. */
import { randomBytes } from 'node:crypto'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** One alphanumeric character per byte; the slight modulo bias does not matter for test ids and fingerprints. */
export function alnum(bytes: Uint8Array): string {
  let out = ''
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length]
  return out
}

/** Random alphanumeric string. */
export function randomAlnum(length: number): string {
  return alnum(randomBytes(length))
}

/** A new object id with Stripe's prefix, e.g. `newId('pi')` → `pi_3Qx…` (24 characters after the prefix, like Stripe). */
export function newId(prefix: string): string {
  return `${prefix}_${randomAlnum(24)}`
}

/** A request id as sent in the `Request-Id` header. */
export function newRequestId(): string {
  return `req_${randomAlnum(14)}`
}

/** Unix seconds, the unit of every `created` field. */
export function unixNow(): number {
  return Math.floor(Date.now() / 1000)
}
