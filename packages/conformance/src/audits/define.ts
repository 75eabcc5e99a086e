/** Wraps a check into an Audit whose run() reports instead of throwing. */
import { toEvidence } from '../report/evidence'
import { AuditFailure } from './failure'
import type { Audit, AuditLevel, AuditName, AuditResult, Requirement } from './types'

/**
 * `check` passes by returning (optionally a note, e.g. why it did not apply) and fails by
 * throwing an AuditFailure. Any other error (the server is unreachable, Stripe refused a card)
 * also fails the audit: a requirement that could not be checked does not hold.
 */
export function defineAudit(
  id: string,
  name: AuditName,
  requirement: Requirement,
  // biome-ignore lint/suspicious/noConfusingVoidType: a check returns a detail, or nothing (async () => {}).
  check: () => Promise<string | void>,
): Audit {
  const level = name.slice(0, name.indexOf(' ')) as AuditLevel
  const base = { id, name, level, ...requirement }
  return {
    id,
    name,
    ...requirement,
    async run(): Promise<AuditResult> {
      try {
        const note = await check()
        return note ? { ...base, status: 'ok', reason: note } : { ...base, status: 'ok' }
      } catch (error) {
        const status = level === 'MUST' ? 'error' : 'warn'
        if (error instanceof AuditFailure) {
          return error.exchange
            ? { ...base, status, reason: error.message, evidence: toEvidence(error.exchange) }
            : { ...base, status, reason: error.message }
        }
        return {
          ...base,
          status,
          reason: `The audit could not be completed: ${(error as Error)?.message ?? String(error)}`,
        }
      }
    },
  }
}
