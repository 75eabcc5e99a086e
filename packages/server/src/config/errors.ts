/** The error `createPaywall` throws for a configuration it refuses to run with. */

/**
 * Thrown at startup, never at request time: a misconfigured paywall must not reach
 * production and fail one customer at a time. `field` names the route or option.
 */
export class Stripe402ConfigError extends Error {
  override readonly name = 'Stripe402ConfigError'
  /** One code for every configuration error, so programs can branch on `code` as on other stripe402 errors. */
  readonly code = 'invalid_config' as const
  /** Dotted path of the offending option, e.g. `routes["GET /api/weather"].minTopUp`. */
  readonly field: string

  constructor(field: string, message: string) {
    super(`stripe402 config: ${field}: ${message}`)
    this.field = field
  }
}
