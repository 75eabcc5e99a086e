/** The `Stripe-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.payload" keyed by the endpoint secret>`. */
import { createHmac } from 'node:crypto'

/**
 * Signs a webhook payload exactly as Stripe does, so `stripe.webhooks.constructEvent(payload, header, secret)`
 * accepts it. Useful to craft signed webhooks in tests without running the emulator.
 */
export function signWebhookPayload(
  payload: string,
  secret: string,
  timestamp = Math.floor(Date.now() / 1000),
): string {
  const signature = createHmac('sha256', secret)
    .update(`${timestamp}.${payload}`, 'utf8')
    .digest('hex')
  return `t=${timestamp},v1=${signature}`
}
