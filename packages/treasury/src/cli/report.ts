/** `stripe402-treasury report`: spend per agent against its caps, the accounts, and the spend log as CSV or JSON. */
import { parseArgs } from 'node:util'
import { formatUnits } from '@stripe402/protocol'
import type { AgentView } from '../admin/agents'
import type { AccountsView } from '../admin/report'
import type { CallRecord } from '../store/types'
import { adminClient } from './admin-client'
import { type Io, UsageError } from './io'

export const REPORT_USAGE = `Usage: stripe402-treasury report [options]

Prints each agent's spend today, this month and in total against its caps, and the accounts:
what the card was charged = what agents spent + credits held at the APIs.

      --agent NAME   only this agent's calls, by origin and route
      --origin URL   only calls to this origin
      --from WHEN    calls from this ISO 8601 date-time (or epoch ms)
      --to WHEN      calls before this one
      --csv          print the spend log as CSV instead
      --json         print {agents, accounts, calls} as JSON instead
      --url URL      the treasury (default $STRIPE402_TREASURY_URL or http://127.0.0.1:8402)`

export async function reportCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      agent: { type: 'string' },
      origin: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      csv: { type: 'boolean' },
      json: { type: 'boolean' },
      url: { type: 'string' },
    },
  })
  if (positionals.length > 0) throw new UsageError('report takes no arguments, only options.')
  if (values.csv && values.json) throw new UsageError('Pick one of --csv and --json.')
  const query = new URLSearchParams()
  for (const key of ['agent', 'origin', 'from', 'to'] as const) {
    const value = values[key]
    if (value !== undefined) query.set(key, value)
  }
  const client = adminClient(values.url, io)
  if (values.csv) {
    query.set('format', 'csv')
    io.stdout.write(await client.text(`calls?${query}`))
    return 0
  }
  const [{ agents }, accounts, { calls }] = await Promise.all([
    client.request<{ agents: AgentView[] }>('GET', 'agents'),
    client.request<AccountsView>('GET', 'accounts'),
    client.request<{ calls: CallRecord[] }>('GET', `calls?${query}`),
  ])
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ agents, accounts, calls }, null, 2)}\n`)
    return 0
  }
  io.stdout.write(renderReport(agents, accounts, calls, values.agent !== undefined))
  return 0
}

function money(units: number | undefined, currency: string): string {
  return units === undefined ? '-' : formatUnits(units, currency)
}

export function renderReport(
  agents: AgentView[],
  accounts: AccountsView,
  calls: CallRecord[],
  byRoute: boolean,
): string {
  const rows: string[][] = [['agent', 'status', 'today', 'this month', 'total']]
  for (const agent of agents) {
    for (const [currency, caps] of Object.entries(agent.caps)) {
      const spent = agent.spent[currency] ?? { daily: 0, monthly: 0, total: 0 }
      const cell = (used: number, cap: number | undefined) =>
        `${money(used, currency)}${cap === undefined ? '' : ` / ${money(cap, currency)}`}`
      rows.push([
        agent.name,
        agent.status,
        cell(spent.daily, caps.daily),
        cell(spent.monthly, caps.monthly),
        cell(spent.total, caps.total),
      ])
    }
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? []
  let out = `${rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n\n`
  for (const currency of Object.keys({
    ...accounts.charged,
    ...accounts.spent,
    ...accounts.creditsHeld,
  })) {
    out += `${currency}: card charged ${money(accounts.charged[currency] ?? 0, currency)} = agents spent ${money(accounts.spent[currency] ?? 0, currency)} + credits held ${money(accounts.creditsHeld[currency] ?? 0, currency)}`
    out += accounts.balanced ? '\n' : '  (does not add up: calls under way, or an answer lost)\n'
    const unsure = accounts.unconfirmed[currency]
    if (unsure)
      out += `${currency}: top-ups unconfirmed ${money(unsure, currency)} (no answer named a charge; budgets count them)\n`
  }
  if (byRoute) {
    const groups = new Map<string, { calls: number; cost: Record<string, number> }>()
    for (const call of calls) {
      const key = `${call.origin} ${call.route}`
      const group = groups.get(key) ?? { calls: 0, cost: {} }
      group.calls += 1
      for (const [currency, units] of Object.entries(call.cost))
        group.cost[currency] = (group.cost[currency] ?? 0) + units
      groups.set(key, group)
    }
    out += '\ncalls by origin and route:\n'
    for (const [key, group] of groups) {
      const cost =
        Object.entries(group.cost)
          .map(([c, u]) => money(u, c))
          .join(', ') || 'free'
      out += `  ${key}  ${group.calls} call${group.calls === 1 ? '' : 's'}, ${cost}\n`
    }
  }
  return out
}
