/** Runs audits one after another and gathers a report. */
import { serverAudits } from '../audits'
import type { AuditResult } from '../audits/types'
import type { ServerAuditOptions } from '../session/options'

export interface Report {
  results: AuditResult[]
  /** True when every MUST holds (SHOULD and MAY failures are warnings). */
  ok: boolean
}

export interface AuditServerOptions extends ServerAuditOptions {
  /** Run only these audit ids (in suite order); unknown ids are an error. */
  only?: string[]
  /** Called after each audit, e.g. to print progress. */
  onResult?: (result: AuditResult) => void
}

/** Audits a server and reports; the audits are sequential because they share accounts. */
export async function auditServer(options: AuditServerOptions): Promise<Report> {
  let audits = serverAudits(options)
  if (options.only) {
    const known = new Set(audits.map((a) => a.id))
    const unknown = options.only.filter((id) => !known.has(id))
    if (unknown.length > 0) {
      const hint =
        options.freeRoute === undefined ? ' (S402-PATH-01 and S402-PATH-02 need a free route)' : ''
      throw new TypeError(
        `Unknown audit id ${unknown.join(', ')}; ids look like S402-CH-01${hint}.`,
      )
    }
    const wanted = new Set(options.only)
    audits = audits.filter((a) => wanted.has(a.id))
  }
  const results: AuditResult[] = []
  for (const audit of audits) {
    const result = await audit.run()
    results.push(result)
    options.onResult?.(result)
  }
  return summarize(results)
}

/** A report of results: ok when no MUST failed. */
export function summarize(results: AuditResult[]): Report {
  return { results, ok: results.every((r) => r.status !== 'error') }
}
