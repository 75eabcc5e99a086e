/** Prints a scenario's measured figures, and appends them to $STRIPE402_HARDENING_REPORT (JSON lines) for docs/reliability.md. */
import { appendFileSync } from 'node:fs'

export function report(scenario: string, figures: Record<string, unknown>): void {
  const line = JSON.stringify({ scenario, ...figures })
  console.info(`[hardening] ${line}`)
  const file = process.env.STRIPE402_HARDENING_REPORT
  if (file) appendFileSync(file, `${line}\n`)
}
