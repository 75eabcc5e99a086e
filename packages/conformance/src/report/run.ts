/** Runs audits one after another and gathers a report. */
import { serverAudits } from '../audits'
import type { AuditResult, SpecLevel } from '../audits/types'
import type { ServerAuditOptions } from '../session/options'
import { Session } from '../session/session'

export interface Report {
  results: AuditResult[]
  /** True when every MUST holds (SHOULD and MAY failures are warnings). */
  ok: boolean
  /** The level the server was audited at: only audits required at this level ran. */
  level?: SpecLevel
  /** Why the run ended after its first audit (the host is unreachable, the route is not paid). */
  stopped?: string
  /** The card number each account role paid with in this run (fresh numbers on the emulator). */
  cards?: Record<string, string>
}

/** What a server that keeps its v1 compatibility is audited for, unless told otherwise (spec §13). */
export const DEFAULT_LEVEL: SpecLevel = 'v1'

export interface AuditServerOptions extends ServerAuditOptions {
  /** Run only these audit ids (in suite order); unknown ids are an error. */
  only?: string[]
  /** Called after each audit, e.g. to print progress. */
  onResult?: (result: AuditResult) => void
  /**
   * `v1` (default): only what spec/stripe402.md requires of every v1-compatible server;
   * `stripe402`: that and this document's extensions.
   */
  level?: SpecLevel
}

/** Audits a server and reports; the audits are sequential because they share accounts. */
export async function auditServer(options: AuditServerOptions): Promise<Report> {
  const level = options.level ?? DEFAULT_LEVEL
  const session = new Session(options)
  const all = serverAudits(options, session)
  let audits = all.filter((a) => level === 'stripe402' || a.requiredAt === 'v1')
  if (options.only) {
    const known = new Set(all.map((a) => a.id))
    const unknown = options.only.filter((id) => !known.has(id))
    if (unknown.length > 0) {
      const hint =
        options.freeRoute === undefined ? ' (S402-PATH-01 and S402-PATH-02 need a free route)' : ''
      throw new TypeError(
        `Unknown audit id ${unknown.join(', ')}; ids look like S402-CH-01${hint}.`,
      )
    }
    const above = all.filter((a) => options.only?.includes(a.id) && !audits.includes(a))
    if (above.length > 0)
      throw new TypeError(
        `${above.map((a) => a.id).join(', ')} ${above.length > 1 ? 'are' : 'is'} required at level stripe402, not ${level}: add --level stripe402.`,
      )
    const wanted = new Set(options.only)
    audits = audits.filter((a) => wanted.has(a.id))
  }
  const extra = { level, cards: session.cards() }
  // A dead host or a route that is not paid would fail every audit for one cause: say it once.
  const cause = await session.unpayable()
  if (cause) {
    const first = all[0] as (typeof all)[number]
    return { ...summarize([await first.run()]), ...extra, stopped: cause }
  }
  const results: AuditResult[] = []
  for (const audit of audits) {
    const result = await audit.run()
    results.push(result)
    options.onResult?.(result)
  }
  return { ...summarize(results), ...extra }
}

/** A report of results: ok when no MUST failed. */
export function summarize(results: AuditResult[]): Report {
  return { results, ok: results.every((r) => r.status !== 'error') }
}
