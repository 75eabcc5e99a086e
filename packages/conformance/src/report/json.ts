/** Machine-readable report: the Report object as indented JSON. */
import type { Report } from './run'

export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`
}
