/** The error `createPaywall` throws for a configuration it refuses to run with. */

/** One problem of a configuration: the option it concerns and what is wrong with it. */
export interface ConfigIssue {
  /** Dotted path of the offending option, e.g. `routes["GET /api/weather"].minTopUp`. */
  field: string
  message: string
}

/**
 * Thrown at startup, never at request time: a misconfigured paywall must not reach
 * production and fail one customer at a time. It lists every problem found (`issues`),
 * so one run shows all that needs fixing; `field` names the first.
 */
export class Stripe402ConfigError extends Error {
  override readonly name = 'Stripe402ConfigError'
  /** One code for every configuration error, so programs can branch on `code` as on other stripe402 errors. */
  readonly code = 'invalid_config' as const
  /** Dotted path of the (first) offending option, e.g. `routes["GET /api/weather"].minTopUp`. */
  readonly field: string
  /** Every problem found, in the order of the config; at least one. */
  readonly issues: readonly ConfigIssue[]

  constructor(field: string, message: string)
  constructor(issues: readonly ConfigIssue[])
  constructor(fieldOrIssues: string | readonly ConfigIssue[], message = '') {
    const issues =
      typeof fieldOrIssues === 'string' ? [{ field: fieldOrIssues, message }] : [...fieldOrIssues]
    const [first = { field: 'config', message: 'is invalid' }] = issues
    super(
      issues.length <= 1
        ? `stripe402 config: ${first.field}: ${first.message}`
        : `stripe402 config: ${issues.length} problems:\n${issues.map((i) => `  - ${i.field}: ${i.message}`).join('\n')}`,
    )
    this.field = first.field
    this.issues = issues.length ? issues : [first]
  }
}
