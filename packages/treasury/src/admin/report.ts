/** The spend log as JSON and CSV, its filter from a query string, and the accounts: charged = spent + credits held. */
import { normalizeOriginPattern } from '../agents/origins'
import { TimeSchema } from '../agents/schema'
import { TreasuryError } from '../errors'
import { MAX_LOG_LIMIT } from '../store/sql'
import type { CallRecord, LogFilter, TreasuryStore } from '../store/types'
import { type AdminDeps, findAgent } from './agents'

/** `agent` (id or name), `origin`, `from`, `to` (ISO 8601 or epoch ms), `limit`; anything else is refused. */
export async function logFilter(deps: AdminDeps, query: URLSearchParams): Promise<LogFilter> {
  const filter: LogFilter = {}
  for (const key of new Set(query.keys())) {
    if (!['agent', 'origin', 'from', 'to', 'limit', 'format'].includes(key))
      throw new TreasuryError('invalid_request', `Unknown parameter "${key}".`)
    if (query.getAll(key).length > 1)
      throw new TreasuryError('invalid_request', `"${key}" is given twice.`)
  }
  const agent = query.get('agent')
  if (agent !== null) filter.agentId = (await findAgent(deps, agent)).id
  const origin = query.get('origin')
  if (origin !== null) {
    const normalized = normalizeOriginPattern(origin)
    if (!normalized.ok || normalized.value.includes('*'))
      throw new TreasuryError(
        'invalid_request',
        'origin: must be an origin such as https://api.example.com.',
      )
    filter.origin = normalized.value
  }
  for (const key of ['from', 'to'] as const) {
    const value = query.get(key)
    if (value === null) continue
    const parsed = TimeSchema.safeParse(/^\d+$/.test(value) ? Number(value) : value)
    if (!parsed.success)
      throw new TreasuryError(
        'invalid_request',
        `${key}: must be an ISO 8601 date-time or epoch ms.`,
      )
    filter[key] = parsed.data
  }
  const limit = query.get('limit')
  if (limit !== null) {
    const n = Number(limit)
    if (!/^\d+$/.test(limit) || n < 1 || n > MAX_LOG_LIMIT)
      throw new TreasuryError(
        'invalid_request',
        `limit: must be a whole number from 1 to ${MAX_LOG_LIMIT}.`,
      )
    filter.limit = n
  }
  return filter
}

const CSV_COLUMNS = [
  'call_id',
  'agent_id',
  'agent_name',
  'started_at',
  'settled_at',
  'method',
  'origin',
  'route',
  'status',
  'outcome',
  'reason',
  'currency',
  'cost',
] as const

/** One line per call and currency it cost in (a free call gets one line with cost 0). */
export function callsCsv(calls: CallRecord[], names: Map<string, string>): string {
  const lines = [CSV_COLUMNS.join(',')]
  for (const call of calls) {
    const costs = Object.entries(call.cost)
    for (const [currency, cost] of costs.length > 0 ? costs : [['', 0] as const]) {
      lines.push(
        [
          call.id,
          call.agentId,
          names.get(call.agentId) ?? '',
          new Date(call.at).toISOString(),
          call.settledAt === null ? '' : new Date(call.settledAt).toISOString(),
          call.method,
          call.origin,
          call.route,
          call.status ?? '',
          call.outcome ?? 'under_way',
          call.reason ?? '',
          currency,
          cost,
        ]
          .map(cell)
          .join(','),
      )
    }
  }
  return `${lines.join('\r\n')}\r\n`
}

/** RFC 4180 quoting, and a leading quote on anything a spreadsheet would run as a formula. */
function cell(value: string | number): string {
  let text = String(value)
  if (/^[=+\-@\t\r]/.test(text) && typeof value === 'string') text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** Per currency. `balanced` says spent + credits held = charged; calls under way hold money not yet counted either way. */
export interface AccountsView {
  charged: Record<string, number>
  /** Top-ups no answer named a charge for: outside `charged` and the balance, shown beside it. */
  unconfirmed: Record<string, number>
  spent: Record<string, number>
  creditsHeld: Record<string, number>
  /** Held by calls under way: the most they may still cost. */
  held: Record<string, number>
  balanced: boolean
}

export async function accountsView(store: TreasuryStore): Promise<AccountsView> {
  const [accounts, wallet] = await Promise.all([store.accounts(), store.loadWallet()])
  const creditsHeld = creditsIn(wallet)
  const currencies = new Set([
    ...Object.keys(accounts.charged),
    ...Object.keys(accounts.spent),
    ...Object.keys(creditsHeld),
  ])
  const balanced = [...currencies].every(
    (c) => (accounts.spent[c] ?? 0) + (creditsHeld[c] ?? 0) === (accounts.charged[c] ?? 0),
  )
  const held = Object.fromEntries(Object.entries(accounts.held).filter(([, units]) => units > 0))
  return {
    charged: accounts.charged,
    unconfirmed: accounts.unconfirmed,
    spent: accounts.spent,
    creditsHeld,
    held,
    balanced,
  }
}

/** Credits the engine's wallet says each origin holds, summed per currency. */
function creditsIn(wallet: unknown): Record<string, number> {
  const out: Record<string, number> = {}
  const origins = (wallet as { origins?: Record<string, { credential?: unknown }> } | undefined)
    ?.origins
  if (!origins || typeof origins !== 'object') return out
  for (const record of Object.values(origins)) {
    const credential = record?.credential as
      | { currency?: unknown; creditsRemaining?: unknown }
      | undefined
    if (typeof credential?.currency !== 'string' || typeof credential.creditsRemaining !== 'number')
      continue
    out[credential.currency] = (out[credential.currency] ?? 0) + credential.creditsRemaining
  }
  return out
}
