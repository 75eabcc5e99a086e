/** The shape of an audit and of its result, after graphql-http's server audits. */

/** Requirement levels as in RFC 2119. */
export type AuditLevel = 'MUST' | 'SHOULD' | 'MAY'

/** An audit's name always starts with its level, so a report reads as the requirement it checks. */
export type AuditName = `${AuditLevel} ${string}`

/** The HTTP exchange that showed a failure, as it went over the wire. */
export interface Evidence {
  /** The request that was sent, e.g. `GET /api/joke/`, and which payment header it carried (decoded). */
  request: string
  status: number
  /** Response headers, lower-case names. */
  headers: Record<string, string>
  /** Parsed JSON when the body is JSON, else its text (truncated), or null when empty. */
  body: unknown
}

export interface AuditResult {
  /** Stable id, e.g. `S402-CH-01`; never reused for another requirement. */
  id: string
  name: AuditName
  level: AuditLevel
  /** `ok`, or `error` for a failed MUST, `warn` for a failed SHOULD or MAY. */
  status: 'ok' | 'warn' | 'error'
  /** Why it failed (or why it was not applicable). */
  reason?: string
  evidence?: Evidence
}

/** One requirement, checked against a live server by `run()`, which never throws. */
export interface Audit {
  id: string
  name: AuditName
  run(): Promise<AuditResult>
}
