/** Ledger debits per second at 64 concurrent callers, straight on each ledger (no HTTP), with the server package's bench helpers. */
import { openLedger, runFor } from '../../../packages/server/bench/ledgers'
import type { LedgerName } from './ipc'

export interface LedgerScenario {
  /** Debits completed per second. */
  debitsPerSecond: number
  debits: number
  /** Statements or commands sent to the store per debit (null for memory: there is no store). */
  roundTripsPerDebit: number | null
  /** Every debit succeeded and balances equal funds minus debits. */
  exact: boolean
}

export interface LedgerResult {
  ledger: LedgerName
  concurrency: number
  /** What a round trip is for this ledger (queries, commands, statements). */
  unit: string
  /** Every caller spends from its own account: the common case. */
  ownAccount: LedgerScenario
  /** Every caller spends from one account: the worst case, all debits queue on one row or key. */
  hotAccount: LedgerScenario
}

export type LedgerBenchResult = LedgerResult | { ledger: LedgerName; skipped: string }

const PRICE = 1
const FUNDS = 1_000_000_000_000

export async function benchLedger(
  name: LedgerName,
  settings: { seconds: number; warmupSeconds: number; concurrency: number },
  log: (line: string) => void,
): Promise<LedgerBenchResult> {
  const opened = await openLedger(name)
  if (typeof opened === 'string') {
    log(`  skipped: ${opened}`)
    return { ledger: name, skipped: opened }
  }
  try {
    const scenario = async (accountCount: number, seconds: number): Promise<LedgerScenario> => {
      // Fresh accounts each time, so the balance check starts from a known amount.
      const tag = Math.random().toString(36).slice(2, 10)
      const accounts = Array.from({ length: accountCount }, (_, i) => `bench_${tag}_${i}`)
      for (const accountId of accounts)
        await opened.ledger.credit({
          accountId,
          currency: 'usd',
          units: FUNDS,
          kind: 'top_up',
          ref: `pi_${accountId}`,
        })
      const sentBefore = opened.sent()
      let failures = 0
      const { ops, elapsedMs } = await runFor(seconds, settings.concurrency, async (worker) => {
        const result = await opened.ledger.spend({
          accountId: accounts[worker % accounts.length] as string,
          currency: 'usd',
          units: PRICE,
          ref: 'GET /api/paid',
        })
        if (!result.ok) failures++
      })
      const trips = (opened.sent() - sentBefore) / ops
      let remaining = 0
      for (const accountId of accounts) remaining += await opened.ledger.balance(accountId, 'usd')
      return {
        debitsPerSecond: (ops / elapsedMs) * 1000,
        debits: ops,
        roundTripsPerDebit: name === 'memory' ? null : trips,
        exact: failures === 0 && remaining === accounts.length * FUNDS - ops * PRICE,
      }
    }
    await scenario(settings.concurrency, settings.warmupSeconds)
    const ownAccount = await scenario(settings.concurrency, settings.seconds)
    log(
      `  own account: ${Math.round(ownAccount.debitsPerSecond)} debits/s${ownAccount.exact ? '' : ' (BALANCES WRONG)'}`,
    )
    const hotAccount = await scenario(1, settings.seconds)
    log(
      `  one hot account: ${Math.round(hotAccount.debitsPerSecond)} debits/s${hotAccount.exact ? '' : ' (BALANCES WRONG)'}`,
    )
    return {
      ledger: name,
      concurrency: settings.concurrency,
      unit: opened.unit,
      ownAccount,
      hotAccount,
    }
  } finally {
    await opened.teardown()
  }
}
