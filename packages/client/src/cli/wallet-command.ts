/** `stripe402 wallet`: credits left and spend per origin as a table, then spend per currency. */
import { parseArgs } from 'node:util'
import { createFileStore } from '../file-store'
import { createPayingFetch } from '../paying-fetch'
import type { WalletView } from '../wallet/view'
import type { Io } from './fetch-command'
import { usageErrorFrom } from './parse'
import { money } from './summary'
import { walletPath } from './wallet-path'

export const WALLET_USAGE = `Usage: stripe402 wallet [--wallet FILE] [--json]

Shows credits left and money spent per origin, and spend per currency today, this month and ever.`

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
    ['ORIGIN', 'CURRENCY', 'CREDITS LEFT', 'SPENT', 'USED', 'TOP-UPS', 'CALLS'],
    ...view.origins.map((o) => [
      o.origin,
      o.currency.toUpperCase(),
      money(o.creditsRemaining, o.currency),
      money(o.spent, o.currency),
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
  for (const [currency, spent] of Object.entries(view.spent)) {
    lines.push(
      `Charged to the card in ${currency.toUpperCase()}: today ${money(spent.daily, currency)}, this month ${money(spent.monthly, currency)}, total ${money(spent.total, currency)}`,
    )
  }
  return `${lines.join('\n')}\n`
}
