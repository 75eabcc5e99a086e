/** The treasury's error codes in one place, each with its HTTP status, and the one error class that carries them. */

export const ERROR_STATUS = {
  /** The body, a parameter or a header is not what the endpoint takes. */
  invalid_request: 400,
  /** No handle or admin token, or one that does not match. */
  unauthorized: 401,
  agent_revoked: 403,
  agent_expired: 403,
  /** The URL's origin is not on the agent's allow-list (or is the Stripe API). */
  origin_not_allowed: 403,
  /** The host resolves to a loopback, private or link-local address the agent may not reach. */
  address_not_allowed: 403,
  /** A redirect leads to an origin not on the agent's allow-list. */
  redirect_not_allowed: 403,
  /** A cross-site request to the dashboard, or one without its form token. */
  forbidden: 403,
  not_found: 404,
  agent_not_found: 404,
  method_not_allowed: 405,
  /** Another agent has that name. */
  name_taken: 409,
  body_too_large: 413,
  unsupported_media_type: 415,
  too_many_redirects: 502,
  unsupported_scheme: 400,
  upstream_unreachable: 502,
  upstream_timeout: 504,
  /** The store cannot be used right now: nothing was done, try again. */
  store_unavailable: 503,
  internal_error: 500,
} as const

export type TreasuryErrorCode = keyof typeof ERROR_STATUS

/** An answer the treasury gives instead of an upstream one: `{ error: { code, message } }` with the code's status. */
export class TreasuryError extends Error {
  override readonly name = 'TreasuryError'
  readonly status: number

  constructor(
    readonly code: TreasuryErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.status = ERROR_STATUS[code]
  }
}
