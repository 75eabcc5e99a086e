/**
 * What a long-running process's MemoryLedger keeps per debit: heap retained (after a full
 * collection) and µs per debit, over `--debits` debits with the engine's own refs (`debitRef`).
 *   node --expose-gc --import tsx packages/server/bench/memory-ledger.ts [--debits=2000000]
 */
import { parseArgs } from 'node:util'
import { MemoryLedger } from '../src/ledger/memory'
import { debitRef } from '../src/request/priced'

const { values } = parseArgs({ options: { debits: { type: 'string', default: '2000000' } } })
const debits = Number(values.debits)
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc')

const ledger = new MemoryLedger()
const accountId = 'a'.repeat(64)
await ledger.credit({ accountId, currency: 'usd', units: 1e15, kind: 'top_up', ref: 'pi_bench' })
gc()
const before = process.memoryUsage().heapUsed
const started = performance.now()
for (let i = 0; i < debits; i++)
  await ledger.spend({
    accountId,
    currency: 'usd',
    units: 1,
    ref: debitRef('GET', 'GET /api/paid'),
  })
const micros = ((performance.now() - started) * 1000) / debits
gc()
const retained = (process.memoryUsage().heapUsed - before) / debits
// Read after the measurement, so the ledger (and what it keeps) is still alive at the collection.
const balance = await ledger.balance(accountId, 'usd')
if (balance !== 1e15 - debits) throw new Error(`balance ${balance}`)
console.log(
  `${debits} debits: ${micros.toFixed(3)} µs per debit, ${retained.toFixed(0)} bytes of heap kept per debit`,
)
