/** Card fingerprints: stable per (account, card number), blind to expiry and CVC, as on Stripe. */
import { createHmac } from 'node:crypto'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/**
 * Stripe fingerprints are 16 alphanumeric characters and differ between accounts for the
 * same card, so one merchant's fingerprint cannot track a card at another merchant.
 */
export function cardFingerprint(account: string, number: string): string {
  const digest = createHmac('sha256', 'stripe402-emulator/fingerprint/v1').update(`${account}\u0000${number}`).digest()
  let out = ''
  for (let i = 0; i < 16; i++) out += ALPHABET[(digest[i] as number) % ALPHABET.length]
  return out
}
