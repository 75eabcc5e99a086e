/** Random ids from Web Crypto (Node 20, browsers, edge runtimes): idempotency keys, journal lines, wallet revisions. */

/** A fresh key for one top-up: retrying the same send can never charge twice. */
export function newIdempotencyKey(): string {
  const c = globalThis.crypto
  if (typeof c.randomUUID === 'function') {
    try {
      return `s402_${c.randomUUID()}`
    } catch {
      // randomUUID exists but needs a secure context in browsers; getRandomValues does not.
    }
  }
  return `s402_${randomHex(16)}`
}

/** A journal line id: the sequence number reads well, the random part keeps two processes sharing a wallet from picking the same one. */
export function newEntryId(seq: number): string {
  return `j${seq}-${randomHex(4)}`
}

/** A wallet revision, new with every save. */
export function newRevision(): string {
  return randomHex(8)
}

function randomHex(bytes: number): string {
  return Array.from(globalThis.crypto.getRandomValues(new Uint8Array(bytes)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('')
}
