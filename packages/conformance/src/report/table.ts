/** Plain-text report for terminals: one line per audit, then each failure with its reason and evidence. */
import { evidenceLines } from './evidence'
import type { Report } from './run'
import { failures, SYMBOL, summaryLine } from './summary'

export function renderTable(report: Report): string {
  const width = Math.max(0, ...report.results.map((r) => r.id.length))
  const lines = report.results.map((r) => `${SYMBOL[r.status]} ${r.id.padEnd(width)}  ${r.name}`)
  const failed = failures(report)
  if (failed.length > 0) {
    lines.push('', 'Failures:')
    for (const r of failed) {
      lines.push(
        '',
        `${SYMBOL[r.status]} ${r.id}  ${r.name}`,
        `    ${r.reason ?? 'no reason given'}`,
      )
      if (r.evidence) lines.push(...evidenceLines(r.evidence).map((l) => `    ${l}`))
      lines.push(`    (spec ${r.section}, required at level ${r.requiredAt})`)
    }
  }
  if (report.stopped) lines.push('', `Stopped after the first audit: ${report.stopped}`)
  lines.push('', summaryLine(report))
  return `${lines.join('\n')}\n`
}
