/** Card fingerprints: stable per (account, card number), blind to expiry and CVC, as on Stripe. */
import { createHmac } from 'node:crypto'
import { alnum } from '../ids'

/**
 * Stripe fingerprints are 16 alphanumeric characters and differ between accounts for the
 * same card, so one merchant's fingerprint cannot track a card at another merchant.
 */
export function cardFingerprint(account: string, number: string): string {
  const digest = createHmac('sha256', 'stripe402-emulator/fingerprint/v1')
    .update(`${account}\u0000${number}`)
    .digest()
  return alnum(digest.subarray(0, 16))
}
