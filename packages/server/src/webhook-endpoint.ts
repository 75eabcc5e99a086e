/** The webhook endpoint as adapters see it: a size cap, and a plain answer when a body parser got to the body first. */
import type { Engine } from './flow/context'
import { errorResponse } from './http/responses'
import type { WebhookOutcome } from './outcome'
import { handleWebhook } from './webhooks'

/** Stripe's events are a few KiB; a body past this is not one, and adapters stop keeping it. */
export const WEBHOOK_MAX_BYTES = 1024 * 1024

export function webhookOutcome(engine: Engine, signature: string | null): WebhookOutcome {
  return {
    type: 'webhook',
    maxBytes: WEBHOOK_MAX_BYTES,
    async handle(rawBody) {
      const size = typeof rawBody === 'string' ? new TextEncoder().encode(rawBody).byteLength : rawBody.byteLength
      if (size > WEBHOOK_MAX_BYTES) return errorResponse(413, 'webhook_body_too_large', `A webhook body is at most ${WEBHOOK_MAX_BYTES} bytes.`)
      return handleWebhook(engine, rawBody, signature)
    },
    // The operator's setup, not Stripe's input, so said plainly: a 400 `invalid_signature` would
    // make Stripe retry in vain, then disable the endpoint, losing refunds, disputes and repairs.
    bodyConsumed(cause) {
      const message = `The webhook's raw body was already read (${cause}): mount the paywall before body parsers, or give the webhook path a raw body parser.`
      engine.logger.error(message, { path: engine.config.webhook?.path })
      engine.emit({ type: 'error', stage: 'webhook', code: 'webhook_body_consumed', message })
      return errorResponse(500, 'webhook_body_consumed', message)
    },
  }
}
