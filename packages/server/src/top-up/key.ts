/** The key of an account's top-ups in one currency: its lock and its pending record are both kept under it. */

/** One top-up at a time per account and currency: the granularity of the lock and of the pending record. */
export function topUpKey(accountId: string, currency: string): string {
  return `topup:${accountId}:${currency}`
}
