/** Reads the price out of a 402: the `payment-required` header first, the JSON body as the fallback. */
import {
  decodePaymentRequired,
  HEADERS,
  type PaymentRequired,
  PaymentRequiredSchema,
  parseJsonSafely,
} from '@stripe402/protocol'

/** A 402 body larger than this is not a stripe402 challenge. */
const MAX_BODY_BYTES = 64 * 1024

/**
 * `undefined` when the 402 is not a stripe402 challenge (another payment scheme, a plain
 * error page). The body is read from a clone, so the caller still gets it intact.
 */
export async function readChallenge(response: Response): Promise<PaymentRequired | undefined> {
  const header = response.headers.get(HEADERS.PAYMENT_REQUIRED)
  if (header !== null) {
    try {
      return decodePaymentRequired(header)
    } catch {
      // A broken header may still come with a good body: v1 servers send both.
    }
  }
  if (response.body === null) return undefined
  const text = await readCapped(response.clone())
  if (text === undefined) return undefined
  const parsed = parseJsonSafely(text)
  if (!parsed.ok) return undefined
  const result = PaymentRequiredSchema.safeParse(parsed.value)
  return result.success ? result.data : undefined
}

async function readCapped(response: Response): Promise<string | undefined> {
  const reader = response.body?.getReader()
  if (!reader) return undefined
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {})
      return undefined
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return undefined
  }
}
