/** The responses the engine hands adapters: status, headers and a JSON body, ready to send as is. */
import {
  DEFAULT_MAX_HEADER_BYTES,
  encodePaymentRequired,
  encodePaymentResponse,
  EXTENSIONS,
  HEADERS,
  ORIGIN_BINDING,
  PaymentErrorCodeSchema,
  type PaymentErrorCode,
  type PaymentRequired,
  type PaymentResponse,
  STRIPE402_VERSION,
} from '@stripe402/protocol'

/** What an adapter sends back verbatim. Header names are lower-case. */
export interface PaywallResponse {
  status: number
  headers: Record<string, string>
  /** JSON text. */
  body: string
}

/** Browsers hide custom response headers from scripts unless they are exposed. */
export const EXPOSE_HEADERS = {
  'access-control-expose-headers': `${HEADERS.PAYMENT_REQUIRED}, ${HEADERS.PAYMENT_RESPONSE}`,
} as const

/** Optional payload fields this server honours, announced in every challenge and the price list. */
export const HONOURED_EXTENSIONS: readonly string[] = [
  EXTENSIONS.MAX_AMOUNT,
  EXTENSIONS.IDEMPOTENCY_KEY,
]

export interface ChallengeInput {
  /** The URL the client asked for (reported in `resource.url`). */
  url: string
  amount: number
  currency: string
  minTopUp: number
  maxTopUp?: number
  publishableKey: string
  description?: string
  mimeType?: string
  /** Announced in `extensions` (default HONOURED_EXTENSIONS). */
  extensions?: readonly string[]
  /** Why the 402 is sent; absent on a plain challenge. */
  code?: PaymentErrorCode
  message?: string
  /**
   * Set after a payment attempt failed: adds a `payment-response` with `success: false`,
   * which is where v1 clients read the reason.
   */
  failure?: { creditsRemaining?: number; clientId?: string }
}

/**
 * JSON bytes of a challenge kept for `resource.url` and `message`: `createPaywall` refuses a
 * route whose other fields leave less, so cutting those two always makes the header fit.
 */
export const CHALLENGE_SPARE_BYTES = 512

/** Largest JSON whose base64 stays within the header cap every peer enforces. */
const MAX_HEADER_JSON_BYTES = Math.floor(DEFAULT_MAX_HEADER_BYTES / 4) * 3
const LONGEST_CODE = PaymentErrorCodeSchema.options.reduce((a, b) => (b.length > a.length ? b : a))

/** A 402 whose `payment-required` header and body carry the same PaymentRequired JSON. */
export function challengeResponse(input: ChallengeInput): PaywallResponse {
  const required = fitChallenge(paymentRequired(input))
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...EXPOSE_HEADERS,
    [HEADERS.PAYMENT_REQUIRED]: encodePaymentRequired(required),
  }
  if (input.failure && input.code) {
    const failure = {
      success: false,
      creditsRemaining: input.failure.creditsRemaining ?? 0,
      clientId: input.failure.clientId ?? '',
      errorCode: input.code,
    }
    const error = longestFitting((input.message ?? input.code).slice(0, 1024), 1, (text) => ({
      ...failure,
      error: text,
    }))
    headers[HEADERS.PAYMENT_RESPONSE] = encodePaymentResponse({ ...failure, error })
  }
  return { status: 402, headers, body: JSON.stringify(required) }
}

/**
 * JSON bytes a route's challenges leave for `resource.url` and `message`, at worst: amounts at
 * their maximum, the longest error code. Below CHALLENGE_SPARE_BYTES the route is refused at startup.
 */
export function challengeSpareBytes(
  input: Omit<ChallengeInput, 'url' | 'message' | 'failure' | 'code'>,
): number {
  return (
    MAX_HEADER_JSON_BYTES -
    jsonBytes(
      paymentRequired({
        ...input,
        url: '/',
        code: LONGEST_CODE as PaymentErrorCode,
        extensions: [...HONOURED_EXTENSIONS, ORIGIN_BINDING.EXTENSION],
      }),
    )
  )
}

function paymentRequired(input: ChallengeInput): PaymentRequired {
  return {
    stripe402Version: STRIPE402_VERSION,
    resource: {
      url: input.url.slice(0, 2048) || '/',
      ...(input.description !== undefined && { description: input.description }),
      ...(input.mimeType !== undefined && { mimeType: input.mimeType }),
    },
    accepts: [
      {
        scheme: 'stripe',
        currency: input.currency,
        amount: input.amount,
        minTopUp: input.minTopUp,
        publishableKey: input.publishableKey,
        ...(input.description !== undefined && { description: input.description }),
        ...(input.maxTopUp !== undefined && { maxTopUp: input.maxTopUp }),
      },
    ],
    ...(input.code !== undefined && { error: input.code }),
    ...(input.message !== undefined && { message: input.message.slice(0, 1024) }),
    extensions: [...(input.extensions ?? HONOURED_EXTENSIONS)],
  }
}

/**
 * Peers refuse a header above 8 KiB, and the encoder will not write one. A long URL (up to
 * 2,048 characters, several bytes each when not ASCII) and a message can push a challenge over,
 * so the URL is cut first, then the message, rather than failing every unpaid request.
 */
function fitChallenge(required: PaymentRequired): PaymentRequired {
  if (jsonBytes(required) <= MAX_HEADER_JSON_BYTES) return required
  const withUrl = (url: string): PaymentRequired => ({
    ...required,
    resource: { ...required.resource, url },
  })
  const url = longestFitting(required.resource.url, 1, withUrl)
  if (jsonBytes(withUrl(url)) <= MAX_HEADER_JSON_BYTES || required.message === undefined)
    return withUrl(url)
  const shortUrl = withUrl(url)
  return {
    ...shortUrl,
    message: longestFitting(required.message, 0, (message) => ({ ...shortUrl, message })),
  }
}

/** The longest prefix of `text` (at least `min` characters) whose message `build` makes fits the header cap. */
function longestFitting(text: string, min: number, build: (prefix: string) => unknown): string {
  if (jsonBytes(build(text)) <= MAX_HEADER_JSON_BYTES) return text
  let lo = Math.min(min, text.length)
  let hi = text.length
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    if (jsonBytes(build(text.slice(0, mid))) <= MAX_HEADER_JSON_BYTES) lo = mid
    else hi = mid - 1
  }
  // Never end on half of a surrogate pair.
  const end = lo > min && /[\uD800-\uDBFF]/.test(text.charAt(lo - 1)) ? lo - 1 : lo
  return text.slice(0, end)
}

const encoder = new TextEncoder()
const jsonBytes = (value: unknown) => encoder.encode(JSON.stringify(value)).length

/** A non-402 refusal (400, 403, 429, 503) with `{ error, message }`; 429 and 503 say when to retry. */
export function errorResponse(
  status: number,
  code: PaymentErrorCode,
  message: string,
  retryAfterSeconds?: number,
): PaywallResponse {
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...EXPOSE_HEADERS,
  }
  if (retryAfterSeconds !== undefined)
    headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterSeconds)))
  return { status, headers, body: JSON.stringify({ error: code, message }) }
}

/** A 200 JSON document (discovery, webhook acknowledgements). */
export function jsonResponse(
  status: number,
  value: unknown,
  extraHeaders: Record<string, string> = {},
): PaywallResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...extraHeaders },
    body: JSON.stringify(value),
  }
}

/** Headers of a paid response: the `payment-response` and the expose list. */
export function paidHeaders(response: PaymentResponse): Record<string, string> {
  // Written out rather than spread from EXPOSE_HEADERS: adding a key to a spread copy costs V8 ~0.3 µs, on every paid response.
  return {
    'access-control-expose-headers': EXPOSE_HEADERS['access-control-expose-headers'],
    'payment-response': encodePaymentResponse(response),
  }
}
