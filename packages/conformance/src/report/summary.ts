/** Counts shared by every renderer. */
import type { AuditResult } from '../audits/types'
import type { Report } from './run'

export const SYMBOL: Record<AuditResult['status'], string> = { ok: '✔', warn: '!', error: '✖' }

export function failures(report: Report): AuditResult[] {
  return report.results.filter((r) => r.status !== 'ok')
}

/** `52 ok, 1 warning, 1 error: FAIL (a MUST does not hold)` */
export function summaryLine(report: Report): string {
  const count = (status: AuditResult['status']) =>
    report.results.filter((r) => r.status === status).length
  const warnings = count('warn')
  const errors = count('error')
  const at = report.level ? ` at level ${report.level}` : ''
  const verdict = report.ok ? `PASS (every MUST${at} holds)` : `FAIL (a MUST${at} does not hold)`
  return `${count('ok')} ok, ${warnings} warning${warnings === 1 ? '' : 's'}, ${errors} error${errors === 1 ? '' : 's'}: ${verdict}`
}
