/** `stripe402 wallet`: credits left, charged and used per origin as a table, then charges per currency. */
import { parseArgs } from 'node:util'
import { createFileStore } from '../file-store'
import { createPayingFetch } from '../paying-fetch'
import type { WalletView } from '../wallet/view'
import type { Io } from './fetch-command'
import { usageErrorFrom } from './parse'
import { money } from './summary'
import { walletPath } from './wallet-path'

export const WALLET_USAGE = `Usage: stripe402 wallet [--wallet FILE] [--json]

Shows per origin the credits left, the money charged to the card and the credits used, and per
currency what was charged today, this month and ever.`

const options = { wallet: { type: 'string' }, json: { type: 'boolean' } } as const

export async function walletCommand(argv: string[], io: Io): Promise<number> {
  let values: { wallet?: string; json?: boolean }
  try {
    ;({ values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options }))
  } catch (error) {
    throw usageErrorFrom('wallet', error, options)
  }
  const view = await createPayingFetch({
    store: createFileStore(walletPath(values.wallet, io.env)),
  }).wallet()
  io.stdout.write(values.json ? `${JSON.stringify(view, null, 2)}\n` : renderWallet(view))
  return 0
}

export function renderWallet(view: WalletView): string {
  if (view.origins.length === 0) return 'The wallet is empty: nothing paid yet.\n'
  const rows = [
    ['ORIGIN', 'CURRENCY', 'CREDITS LEFT', 'CHARGED', 'USED', 'TOP-UPS', 'CALLS'],
    ...view.origins.map((o) => [
      o.origin,
      o.currency.toUpperCase(),
      money(o.creditsRemaining, o.currency),
      // Charged means confirmed: an unconfirmed top-up is listed below the table, not counted here.
      money(Math.max(0, o.spent - o.unconfirmed), o.currency),
      money(o.used, o.currency),
      String(o.topUps),
      String(o.calls),
    ]),
  ]
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)))
  const lines = rows.map((r) =>
    r
      .map((cell, i) => (i >= 2 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  )
  lines.push('')
  for (const o of view.origins) {
    if (o.unconfirmedTopUps === 0) continue
    const count = `${o.unconfirmedTopUps} top-up${o.unconfirmedTopUps === 1 ? '' : 's'}`
    lines.push(
      `Unconfirmed at ${o.origin}: ${count} of ${money(o.unconfirmed, o.currency)}; charged? unknown (no answer named a charge). Budgets count it.`,
    )
  }
  for (const [currency, spent] of Object.entries(view.spent)) {
    const unsure = view.origins.some((o) => o.currency === currency && o.unconfirmed > 0)
    lines.push(
      `${unsure ? 'Charged to the card or unconfirmed' : 'Charged to the card'} in ${currency.toUpperCase()}: today ${money(spent.daily, currency)}, this month ${money(spent.monthly, currency)}, total ${money(spent.total, currency)}`,
    )
  }
  return `${lines.join('\n')}\n`
}
