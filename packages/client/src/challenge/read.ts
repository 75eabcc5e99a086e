/** Reads a 402: the price (`payment-required` header first, the JSON body as the fallback), or a v1 server's refusal. */
import {
  decodePaymentRequired,
  HEADERS,
  type PaymentRequired,
  PaymentRequiredSchema,
  parseJsonSafely,
} from '@stripe402/protocol'

/** A 402 body larger than this is not a stripe402 challenge. */
const MAX_BODY_BYTES = 64 * 1024

/** What a 402 says, as far as stripe402 reads it. */
export type Read402 =
  /** A price to pay. */
  | { kind: 'challenge'; challenge: PaymentRequired }
  /**
   * A v1 server's refusal of a payment: a `PaymentResponse` body with `success: false` and no
   * `payment-required` header (spec 13.3). `code` is its `errorCode`, `message` its `error`.
   */
  | { kind: 'refusal'; code: string; message: string | undefined }
  /** Not stripe402's: another payment scheme, a plain error page. `why` says what was found instead. */
  | { kind: 'other'; why: string }

/** The body is read from a clone, so the caller still gets it intact. */
export async function read402(response: Response): Promise<Read402> {
  const header = response.headers.get(HEADERS.PAYMENT_REQUIRED)
  if (header !== null) {
    try {
      return { kind: 'challenge', challenge: decodePaymentRequired(header) }
    } catch {
      // A broken header may still come with a good body: v1 servers send both.
    }
  }
  const other = (found: string): Read402 => ({
    kind: 'other',
    why:
      header !== null
        ? `its ${HEADERS.PAYMENT_REQUIRED} header is malformed`
        : `no ${HEADERS.PAYMENT_REQUIRED} header, and ${found}`,
  })
  if (response.body === null) return other('no body')
  const text = await readCapped(response.clone(), MAX_BODY_BYTES)
  if (text === undefined) return other('a body that is not a challenge')
  const parsed = parseJsonSafely(text)
  if (!parsed.ok) return other('a body that is not JSON')
  const result = PaymentRequiredSchema.safeParse(parsed.value)
  if (result.success) return { kind: 'challenge', challenge: result.data }
  const refusal = readRefusal(parsed.value)
  if (refusal) return refusal
  if (isX402(parsed.value))
    return { kind: 'other', why: 'it is an x402 challenge, another payment scheme' }
  return other('a JSON body that is not a stripe402 challenge')
}

/** x402 (Coinbase's crypto payments over 402) names its version in every challenge body. */
function isX402(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'x402Version' in value
}

/**
 * Only `success: false` is required: v1 servers also send `clientId: ""` and a balance, which say
 * nothing here. An unknown or missing `errorCode` is a generic failure (spec 5).
 */
function readRefusal(value: unknown): Read402 | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const body = value as Record<string, unknown>
  if (body.success !== false) return undefined
  const code = text(body.errorCode, 64) ?? 'payment_failed'
  return { kind: 'refusal', code, message: text(body.error, 1024) }
}

/** A non-empty string within `max` characters, as the schemas bound these fields. */
function text(value: unknown, max: number): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined
}

/** The body as UTF-8 text, or `undefined` past `max` bytes or when it is not UTF-8. */
export async function readCapped(response: Response, max: number): Promise<string | undefined> {
  const reader = response.body?.getReader()
  if (!reader) return undefined
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > max) {
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
