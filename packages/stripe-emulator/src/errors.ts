/** Stripe's error envelope, and the errors the emulator raises while handling a request. */

export type StripeErrorType =
  | 'api_error'
  | 'card_error'
  | 'idempotency_error'
  | 'invalid_request_error'

/** The `error` object of a Stripe error response. Extra fields (payment_intent, charge…) follow Stripe's names. */
export interface StripeErrorBody {
  type: StripeErrorType
  message: string
  code?: string
  decline_code?: string
  param?: string
  doc_url?: string
  charge?: string
  payment_intent?: unknown
  payment_method?: unknown
  advice_code?: string
}

/**
 * Thrown by handlers; the server turns it into the HTTP answer.
 * Stripe keeps idempotent results only once an endpoint has started to act, so
 * a parameter error (4xx other than 402) is not saved and a retry with the same key runs again.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
  ) {
    super(body.message)
    this.name = 'ApiError'
  }

  get savedForIdempotency(): boolean {
    return this.status === 402 || this.status >= 500
  }
}

/** Stripe's documentation link for an error code, as it appears in `doc_url`. */
export function docUrl(code: string): string {
  return `https://stripe.com/docs/error-codes/${code.replaceAll('_', '-')}`
}

function withCode(body: StripeErrorBody): StripeErrorBody {
  return body.code && !body.doc_url ? { ...body, doc_url: docUrl(body.code) } : body
}

export function invalidRequest(
  message: string,
  param?: string,
  code?: string,
  status = 400,
): ApiError {
  const body: StripeErrorBody = { type: 'invalid_request_error', message }
  if (code) body.code = code
  if (param) body.param = param
  return new ApiError(status, withCode(body))
}

export function missingParam(param: string): ApiError {
  return invalidRequest(`Missing required param: ${param}.`, param, 'parameter_missing')
}

export function unknownParam(param: string): ApiError {
  return invalidRequest(`Received unknown parameter: ${param}`, param, 'parameter_unknown')
}

/** `No such customer: 'cus_x'`: 404 for the object named by the URL, 400 for one named by a parameter. */
export function resourceMissing(kind: string, id: string, param = 'id', status = 404): ApiError {
  return invalidRequest(`No such ${kind}: '${id}'`, param, 'resource_missing', status)
}

export function cardError(fields: Omit<StripeErrorBody, 'type'>): ApiError {
  return new ApiError(402, withCode({ type: 'card_error', ...fields }))
}

export function idempotencyError(message: string, status = 400, code?: string): ApiError {
  const body: StripeErrorBody = { type: 'idempotency_error', message }
  if (code) body.code = code
  return new ApiError(status, withCode(body))
}

export function apiError(message = 'An unknown error occurred', status = 500): ApiError {
  return new ApiError(status, { type: 'api_error', message })
}
