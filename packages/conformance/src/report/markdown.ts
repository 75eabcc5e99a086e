/** Markdown report for pull requests and READMEs: a table, then each failure with its evidence folded. */
import type { Report } from './run'
import { failures, summaryLine } from './summary'

const ICON = { ok: '✅', warn: '⚠️', error: '❌' } as const

/** Text safe inside a Markdown table cell: pipes, emphasis markers and newlines escaped. */
export const markdownCell = (text: string) => text.replace(/([|*_])/g, '\\$1').replace(/\n/g, ' ')

export function renderMarkdown(report: Report): string {
  const lines = [`**${summaryLine(report)}**`, '', '| | Id | Requirement |', '|---|---|---|']
  for (const r of report.results)
    lines.push(`| ${ICON[r.status]} | \`${r.id}\` | ${markdownCell(r.name)} |`)
  const failed = failures(report)
  if (failed.length > 0) {
    lines.push('', '### Failures')
    for (const r of failed) {
      lines.push(
        '',
        `#### ${ICON[r.status]} \`${r.id}\` ${r.name}`,
        '',
        r.reason ?? 'No reason given.',
        '',
        `Spec ${r.section}, required at level ${r.requiredAt}.`,
      )
      if (r.evidence) {
        lines.push(
          '',
          '<details><summary>Evidence</summary>',
          '',
          '```json',
          JSON.stringify(r.evidence, null, 2),
          '```',
          '',
          '</details>',
        )
      }
    }
  }
  if (report.stopped)
    lines.push('', `Stopped after the first audit: ${markdownCell(report.stopped)}`)
  return `${lines.join('\n')}\n`
}
