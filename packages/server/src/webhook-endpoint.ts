/** The webhook endpoint as adapters see it: a size cap, and a plain answer when a body parser got to the body first. */
import type { Engine } from './engine'
import { errorResponse } from './http/responses'
import type { WebhookOutcome } from './outcome'
import { handleWebhook } from './webhooks'

/** Stripe's events are a few KiB; a body past this is not one, and adapters stop keeping it. */
export const WEBHOOK_MAX_BYTES = 1024 * 1024

export function webhookOutcome(engine: Engine, signature: string | null): WebhookOutcome {
  const handle = async (rawBody: string | Uint8Array) => {
    const size =
      typeof rawBody === 'string'
        ? new TextEncoder().encode(rawBody).byteLength
        : rawBody.byteLength
    if (size > WEBHOOK_MAX_BYTES)
      return errorResponse(
        413,
        'webhook_body_too_large',
        `A webhook body is at most ${WEBHOOK_MAX_BYTES} bytes.`,
      )
    return handleWebhook(engine, rawBody, signature)
  }
  return {
    type: 'webhook',
    maxBytes: WEBHOOK_MAX_BYTES,
    handle,
    async handleStream(body) {
      const chunks: Uint8Array[] = []
      let size = 0
      // Past the cap the rest is read and dropped: memory stays bounded and `handle` answers 413.
      for await (const chunk of chunksOf(body)) {
        if (size <= WEBHOOK_MAX_BYTES) chunks.push(chunk)
        size += chunk.byteLength
      }
      return handle(concat(chunks))
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

/** A Node stream is async-iterable; a WHATWG ReadableStream is read with its reader (not every runtime iterates it). */
async function* chunksOf(
  body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> | null,
): AsyncIterable<Uint8Array> {
  if (body === null) return
  if (!('getReader' in body)) return yield* body
  const reader = body.getReader()
  for (let next = await reader.read(); !next.done; next = await reader.read()) yield next.value
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const body = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.byteLength, 0))
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.byteLength
  }
  return body
}
