/** Scrubs text bound for logs and events: no keys, credentials, PaymentMethod ids or card numbers. */

const SECRET_IDS =
  /\b(pm|card|src|tok|seti|sk_live|sk_test|rk_live|rk_test|whsec|s402)_[A-Za-z0-9_-]+/g
const CLIENT_SECRET = /\b(pi|seti)_[A-Za-z0-9]+_secret_[A-Za-z0-9]+/g
const CARD_NUMBER = /\b(?:\d[ -]?){12,18}\d\b/g

/**
 * Stripe error messages quote ids back ("No such PaymentMethod: 'pm_…'"), so every message
 * from outside passes through here before it reaches a log line or an event.
 */
export function redact(text: string): string {
  return text
    .replace(CLIENT_SECRET, '[redacted client secret]')
    .replace(SECRET_IDS, (_match, prefix: string) => `${prefix}_[redacted]`)
    .replace(CARD_NUMBER, '[redacted card number]')
}
