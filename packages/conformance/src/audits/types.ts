/** The shape of an audit and of its result, after graphql-http's server audits. */

/** Requirement levels as in RFC 2119. */
export type AuditLevel = 'MUST' | 'SHOULD' | 'MAY'

/**
 * Which level of the spec requires an audit: `v1` is what spec/stripe402.md requires of every
 * server compatible with published stripe402 v1 (the core of the protocol, its v1 error codes,
 * money and path safety); `stripe402` adds this document's extensions and hardening (CORS,
 * caching, strict schema, header cap, extension error codes and members). A run at `v1` runs
 * only the `v1` audits; a run at `stripe402` runs them all.
 */
export type SpecLevel = 'v1' | 'stripe402'

export const SPEC_LEVELS: readonly SpecLevel[] = ['v1', 'stripe402']

/** What an audit rests on: the level that requires it and the spec section its verdict follows from. */
export interface Requirement {
  requiredAt: SpecLevel
  /** A section of spec/stripe402.md, e.g. `§3.8`. */
  section: `§${string}`
}

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
  /** The spec level that requires this audit. */
  requiredAt: SpecLevel
  /** The section of spec/stripe402.md the verdict rests on. */
  section: Requirement['section']
  /** `ok`, or `error` for a failed MUST, `warn` for a failed SHOULD or MAY. */
  status: 'ok' | 'warn' | 'error'
  /** Why it failed (or why it was not applicable). */
  reason?: string
  evidence?: Evidence
}

/** One requirement, checked against a live server by `run()`, which never throws. */
export interface Audit extends Requirement {
  id: string
  name: AuditName
  run(): Promise<AuditResult>
}
