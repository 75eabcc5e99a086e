/**
 * Reads the binding's messages out of MCP requests and results, under the rules of a decoded
 * header (spec §16.1): each JSON object is checked by the same strict decoder as a header, so
 * size caps, safe parsing and number checks cannot differ between HTTP and MCP.
 */
import {
  base64EncodeUtf8,
  decodePaymentPayload,
  decodePaymentRequired,
  decodePaymentResponse,
  type PaymentPayload,
  type PaymentRequired,
  type PaymentResponse,
} from '@stripe402/protocol'
import { META } from './names'

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** A JSON value as the header that would carry it; the decoders judge it (a string is not a payload). */
function asHeader(value: unknown): string {
  return base64EncodeUtf8(JSON.stringify(value) ?? '')
}

/**
 * The `payment` header equivalent of `params._meta`, for the engine to decode: `null` when the
 * call carries no payment. Anything but a valid PaymentPayload object is refused there.
 */
export function paymentHeaderOf(meta: unknown): string | null {
  if (!isRecord(meta) || !Object.hasOwn(meta, META.PAYMENT)) return null
  return asHeader(meta[META.PAYMENT])
}

/** The PaymentPayload of a `tools/call`'s `params._meta`, or `null`; throws `invalid_payment` when malformed. */
export function readPayment(meta: unknown): PaymentPayload | null {
  const header = paymentHeaderOf(meta)
  return header === null ? null : decodePaymentPayload(header)
}

/** The challenge of a `tools/call` result: only `isError: true` with a valid PaymentRequired as `structuredContent`. */
export function readChallenge(result: unknown): PaymentRequired | undefined {
  if (!isRecord(result) || result.isError !== true || !isRecord(result.structuredContent)) return
  try {
    return decodePaymentRequired(asHeader(result.structuredContent))
  } catch {
    return undefined
  }
}

/** The receipt in a `tools/call` result's `_meta`, or `undefined` when absent or malformed. */
export function readReceipt(result: unknown): PaymentResponse | undefined {
  if (!isRecord(result) || !isRecord(result._meta)) return
  const receipt = result._meta[META.PAYMENT_RESPONSE]
  if (!isRecord(receipt)) return
  try {
    return decodePaymentResponse(asHeader(receipt))
  } catch {
    return undefined
  }
}
