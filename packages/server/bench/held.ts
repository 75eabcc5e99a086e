/**
 * What holding debits costs (issue 19): debits per second, CPU per debit in this process, and round
 * trips per debit, with plain debits and with held debits confirmed in batches as the paywall does
 * (HeldDebitSettler, 1 s batches), measured side by side in alternating rounds on each ledger.
 *   npx tsx packages/server/bench/held.ts [--seconds=2] [--concurrency=64] [--only=sqlite,redis] [--json]
 */
import { HeldDebitSettler } from '../src/ledger-calls/held-debits'
import type { Ledger } from '../src/ledger'
import { benchOptions, LEDGER_NAMES, openLedger, printTable, runFor } from './ledgers'

const { seconds, concurrency, json, only, out } = benchOptions(process.argv.slice(2))
const ROUNDS = 3
const FUNDS = 9_000_000_000_000
const quiet = { warn: () => {}, error: () => {} }

interface Round {
  debits: number
  perSec: number
  cpuUsPerDebit: number
  tripsPerDebit: number
}

async function round(ledger: Ledger, sent: () => number, held: boolean): Promise<Round> {
  const tag = Math.random().toString(36).slice(2, 10)
  const accounts = Array.from({ length: concurrency }, (_, i) => `held_${tag}_${i}`)
  for (const accountId of accounts)
    await ledger.credit({
      accountId,
      currency: 'usd',
      units: FUNDS,
      kind: 'top_up',
      ref: `pi_${accountId}`,
    })
  // The paywall takes a volatile ledger's debits unheld, so its settler would leave these holds
  // alone: this bench measures MemoryLedger.holds itself, through a view that is not volatile.
  const settled: Ledger = ledger.volatile
    ? new Proxy(ledger, {
        get: (target, key) => (key === 'volatile' ? false : Reflect.get(target, key)),
      })
    : ledger
  const settler = new HeldDebitSettler(
    { ledger: settled, emit: () => {}, logger: quiet },
    { holdMs: 60_000, flushMs: 1_000 },
  )
  let n = 0
  const sentBefore = sent()
  const cpuBefore = process.cpuUsage()
  const { ops, elapsedMs } = await runFor(seconds, concurrency, async (worker) => {
    const accountId = accounts[worker] as string
    const ref = `GET /x#${tag}-${++n}`
    if (!held) {
      await ledger.spend({ accountId, currency: 'usd', units: 1, ref })
      return
    }
    const holdUntil = Date.now() + 60_000
    const debit = { accountId, currency: 'usd', units: 1, ref }
    const result = await ledger.spend({ ...debit, holdUntil })
    if (!result.ok) throw new Error(`debit refused: ${result.reason}`)
    settler.begin(debit, holdUntil)
    await settler.settle(debit, false, 200)
  })
  await settler.close()
  const cpu = process.cpuUsage(cpuBefore)
  if (held && (await ledger.holds?.count()) !== 0) throw new Error('debits left held after close')
  return {
    debits: ops,
    perSec: Math.round((ops * 1000) / elapsedMs),
    cpuUsPerDebit: Math.round(((cpu.user + cpu.system) / ops) * 10) / 10,
    tripsPerDebit: Math.round(((sent() - sentBefore) / ops) * 100) / 100,
  }
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0

const rows: Record<string, string | number>[] = []
for (const name of LEDGER_NAMES.filter((n) => only.includes(n))) {
  const opened = await openLedger(name)
  if (typeof opened === 'string') {
    out.write(`${name}: skipped (${opened})\n`)
    continue
  }
  try {
    const plain: Round[] = []
    const held: Round[] = []
    for (let i = 0; i < ROUNDS; i++) {
      plain.push(await round(opened.ledger, opened.sent, false))
      held.push(await round(opened.ledger, opened.sent, true))
    }
    const p = median(plain.map((r) => r.perSec))
    const h = median(held.map((r) => r.perSec))
    const pc = median(plain.map((r) => r.cpuUsPerDebit))
    const hc = median(held.map((r) => r.cpuUsPerDebit))
    rows.push({
      ledger: name,
      'plain debits/s': p,
      'held debits/s': h,
      'held/plain': Math.round((h / p) * 100) / 100,
      'plain CPU µs': pc,
      'held CPU µs': hc,
      'plain trips': median(plain.map((r) => r.tripsPerDebit)),
      'held trips (incl. batches)': median(held.map((r) => r.tripsPerDebit)),
    })
  } finally {
    await opened.teardown()
  }
}
printTable(rows, out)
if (json)
  process.stdout.write(`${JSON.stringify({ concurrency, seconds, rounds: ROUNDS, rows })}\n`)
