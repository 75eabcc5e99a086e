/** Test-only: held debits asked for in one turn of the event loop, as a busy server asks for them. */
import type { Ledger, SpendResult } from '../../src/ledger/types'

/**
 * Funds each account with `funds` units, then asks, in one turn, a held debit of each of `units`
 * on every account (refs `<account>:<tag><i>`). Returns the answers in the order asked.
 */
export async function spendInOneTurn(
  ledger: Ledger,
  accounts: string[],
  options: { funds?: number; units: number[]; tag: string },
): Promise<SpendResult[]> {
  if (options.funds !== undefined)
    for (const accountId of accounts)
      await ledger.credit({
        accountId,
        currency: 'usd',
        units: options.funds,
        kind: 'top_up',
        ref: `pi_${options.tag}`,
      })
  const holdUntil = Date.now() + 60_000
  return Promise.all(
    accounts.flatMap((accountId) =>
      options.units.map((units, i) =>
        ledger.spend({
          accountId,
          currency: 'usd',
          units,
          ref: `${accountId}:${options.tag}${i}`,
          holdUntil,
        }),
      ),
    ),
  )
}

/** Balances, or refusal reasons, of a turn's answers. */
export const outcomes = (results: SpendResult[]) =>
  results.map((result) => (result.ok ? result.balance : result.reason))
