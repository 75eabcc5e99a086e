/**
 * Spends per second of each ledger at 64 concurrent callers, and round trips per spend.
 *   npx tsx packages/server/bench/ledger.ts [--seconds=3] [--concurrency=64] [--only=redis,postgres] [--json]
 * Two scenarios: every caller on its own account (the common case), and all callers on one hot
 * account (worst case: every spend queues on one row or key).
 */
import type { Ledger } from '../src/ledger'
import { benchOptions, LEDGER_NAMES, openLedger, printTable, runFor } from './ledgers'
import type { LedgerName } from './ledgers'

const { seconds, concurrency, json, only, out } = benchOptions(process.argv.slice(2))

const PRICE = 100
// Enough for every spend the run can make, so no spend fails for lack of credit.
const FUNDS = 9_000_000_000_000

interface Result {
  ledger: LedgerName
  scenario: 'own account' | 'one hot account'
  concurrency: number
  spends: number
  spendsPerSecond: number
  roundTripsPerSpend: number | null
  roundTripUnit: string
  balancesExact: boolean
}

async function scenario(
  ledger: Ledger,
  accountCount: number,
  sent: () => number,
  seconds: number,
): Promise<{ spends: number; perSec: number; trips: number; ok: boolean }> {
  // Fresh accounts per scenario, so the balance check below starts from a known amount.
  const tag = Math.random().toString(36).slice(2, 10)
  const accounts = Array.from({ length: accountCount }, (_, i) => `bench_${tag}_${i}`)
  for (const accountId of accounts) {
    await ledger.credit({
      accountId,
      currency: 'usd',
      units: FUNDS,
      kind: 'top_up',
      ref: `pi_${accountId}`,
    })
  }
  const before = sent()
  let failures = 0
  const { ops, elapsedMs } = await runFor(seconds, concurrency, async (worker) => {
    const result = await ledger.spend({
      accountId: accounts[worker % accounts.length] as string,
      currency: 'usd',
      units: PRICE,
      ref: 'GET /api/bench',
    })
    if (!result.ok) failures++
  })
  const trips = (sent() - before) / ops
  // The figures only count if no money went missing: balances must still equal funds minus spends.
  let remaining = 0
  for (const accountId of accounts) remaining += await ledger.balance(accountId, 'usd')
  const ok = failures === 0 && remaining === accounts.length * FUNDS - ops * PRICE
  return { spends: ops, perSec: Math.round((ops / elapsedMs) * 1000), trips, ok }
}

const results: Result[] = []
const skipped: { ledger: LedgerName; reason: string }[] = []
for (const name of LEDGER_NAMES.filter((n) => only.includes(n))) {
  const opened = await openLedger(name)
  if (typeof opened === 'string') {
    skipped.push({ ledger: name, reason: opened })
    process.stderr.write(`skipping ${name}: ${opened}\n`)
    continue
  }
  try {
    // A short warm-up so connection setup and script loading are not measured.
    await scenario(opened.ledger, concurrency, opened.sent, Math.min(0.5, seconds))
    for (const [label, accountCount] of [
      ['own account', concurrency],
      ['one hot account', 1],
    ] as const) {
      const r = await scenario(opened.ledger, accountCount, opened.sent, seconds)
      results.push({
        ledger: name,
        scenario: label,
        concurrency,
        spends: r.spends,
        spendsPerSecond: r.perSec,
        roundTripsPerSpend: name === 'memory' ? null : Number(r.trips.toFixed(3)),
        roundTripUnit: opened.unit,
        balancesExact: r.ok,
      })
    }
  } finally {
    await opened.teardown()
  }
}

printTable(
  results.map((r) => ({
    ledger: r.ledger,
    scenario: r.scenario,
    'spends/s': r.spendsPerSecond,
    'round trips/spend': r.roundTripsPerSpend ?? '-',
    counted: r.roundTripUnit,
    'balances exact': r.balancesExact ? 'yes' : 'NO',
  })),
  out,
)
out.write(
  `\n${concurrency} concurrent callers, ${seconds}s per scenario, node ${process.version}\n`,
)
if (json)
  process.stdout.write(
    `${JSON.stringify({ bench: 'ledger-spend', seconds, concurrency, results, skipped }, null, 2)}\n`,
  )
if (results.some((r) => !r.balancesExact)) process.exitCode = 1
