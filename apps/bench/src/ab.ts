/**
 * Two checkouts side by side: `tsx src/ab.ts --base=/path/to/other/checkout [--adapters=express]
 * [--ledgers=memory,redis] [--rounds=16] [--requests=4000]`. Starts the bench server of each tree
 * and loads their free and paid routes in interleaved rounds (order rotated every round), so a
 * change to the paid path is measured against the code before it under the same machine load.
 * Prints, per tree, the median server CPU per request and what the paywall adds.
 */
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { encodePaymentPayload, HEADERS } from '@stripe402/protocol'
import { startStripeEmulator } from '@stripe402/stripe-emulator'
import {
  ADAPTER_NAMES,
  type AdapterName,
  FREE_PATH,
  LEDGER_NAMES,
  type LedgerName,
  PAID_PATH,
} from './ipc'
import { median } from './http-bench'
import { runLoad } from './load'
import { createPaymentMethod, payOnce } from './payer'
import { type ServerProcess, startServerProcess } from './server-process'

export interface TreeRounds {
  tree: string
  /** Server CPU µs per request, per round. */
  free: number[]
  paid: number[]
  /** Requests per second, per round. */
  freeRps: number[]
  paidRps: number[]
  /** Bytes the server allocated per request, per round. */
  freeBytes: number[]
  paidBytes: number[]
}

/** The medians a comparison is read from: CPU per route, what the paywall adds, and the ratios. */
export function summarizeTree(rounds: TreeRounds) {
  const added = rounds.paid.map((paid, i) => paid - (rounds.free[i] as number))
  const rpsRatio = rounds.paidRps.map((paid, i) => paid / (rounds.freeRps[i] as number))
  return {
    tree: rounds.tree,
    freeCpu: median(rounds.free),
    paidCpu: median(rounds.paid),
    addedCpu: median(added),
    cpuRatio: median(rounds.free) / median(rounds.paid),
    rpsRatio: median(rpsRatio),
    freeBytes: median(rounds.freeBytes),
    paidBytes: median(rounds.paidBytes),
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      base: { type: 'string' },
      adapters: { type: 'string', default: 'express' },
      ledgers: { type: 'string', default: 'memory' },
      rounds: { type: 'string', default: '16' },
      requests: { type: 'string', default: '4000' },
      connections: { type: 'string', default: '32' },
    },
  })
  if (!values.base) throw new Error('--base=DIR: the root of the checkout to compare against')
  const trees = [
    { name: 'base', appDir: join(resolve(values.base), 'apps', 'bench') },
    { name: 'head', appDir: undefined },
  ]
  const adapters = values.adapters.split(',') as AdapterName[]
  const ledgers = values.ledgers.split(',') as LedgerName[]
  for (const a of adapters) if (!ADAPTER_NAMES.includes(a)) throw new Error(`unknown adapter ${a}`)
  for (const l of ledgers) if (!LEDGER_NAMES.includes(l)) throw new Error(`unknown ledger ${l}`)
  const rounds = Number(values.rounds)
  const requests = Number(values.requests)
  const connections = Number(values.connections)

  const emulator = await startStripeEmulator({ port: 0 })
  const stripe = { url: emulator.url, publishableKey: emulator.keys().publishableKey }
  try {
    for (const adapter of adapters) {
      for (const ledger of ledgers) {
        const servers: Array<{ name: string; server: ServerProcess; payment: string }> = []
        try {
          for (const tree of trees) {
            const server = await startServerProcess({
              adapter,
              ledger,
              stripeApiBase: stripe.url,
              ...(tree.appDir && { appDir: tree.appDir }),
            })
            if (typeof server === 'string') throw new Error(`${tree.name}: ${server}`)
            const { clientId } = await payOnce(
              server.url,
              await createPaymentMethod(stripe.url, stripe.publishableKey),
            )
            const payment = encodePaymentPayload({ stripe402Version: 1, clientId, maxAmount: 100 })
            servers.push({ name: tree.name, server, payment })
          }
          const bursts = servers.flatMap((s) =>
            (['free', 'paid'] as const).map((route) => ({ ...s, route })),
          )
          const results = new Map<string, TreeRounds>(
            servers.map((s) => [
              s.name,
              {
                tree: s.name,
                free: [],
                paid: [],
                freeRps: [],
                paidRps: [],
                freeBytes: [],
                paidBytes: [],
              },
            ]),
          )
          // Warm-up of every burst, then the measured rounds, each in a rotated order.
          for (let round = -1; round < rounds; round++) {
            const shift = ((round % bursts.length) + bursts.length) % bursts.length
            const order = [...bursts.slice(shift), ...bursts.slice(0, shift)]
            if (round % 2 === 1) order.reverse()
            for (const burst of order) {
              const url = `${burst.server.url}${burst.route === 'free' ? FREE_PATH : PAID_PATH}`
              const headers: Record<string, string> =
                burst.route === 'paid' ? { [HEADERS.PAYMENT]: burst.payment } : {}
              const before = await burst.server.stats()
              const load = await runLoad({ url, headers, connections, amount: requests })
              const after = await burst.server.stats()
              if (load.non2xx > 0 || load.errors > 0)
                throw new Error(`${burst.name} ${burst.route}: ${JSON.stringify(load.statuses)}`)
              if (round < 0) continue
              const row = results.get(burst.name) as TreeRounds
              row[burst.route].push((after.cpuMicros - before.cpuMicros) / load.responses)
              row[burst.route === 'free' ? 'freeBytes' : 'paidBytes'].push(
                (after.allocatedBytes - before.allocatedBytes) / load.responses,
              )
              row[burst.route === 'free' ? 'freeRps' : 'paidRps'].push(
                (load.responses / load.elapsedMs) * 1000,
              )
            }
          }
          process.stdout.write(`${adapter} × ${ledger}, ${rounds} rounds of ${requests} requests\n`)
          for (const rows of results.values()) {
            const s = summarizeTree(rows)
            process.stdout.write(
              `  ${s.tree}: CPU µs/req free ${s.freeCpu.toFixed(1)}, paid ${s.paidCpu.toFixed(1)}, paywall adds ${s.addedCpu.toFixed(1)} (CPU ratio ${s.cpuRatio.toFixed(3)}); paid/free req/s ${s.rpsRatio.toFixed(3)}; bytes allocated/req free ${Math.round(s.freeBytes)}, paid ${Math.round(s.paidBytes)}\n`,
            )
          }
        } finally {
          for (const { server } of servers) await server.stop()
        }
      }
    }
  } finally {
    await emulator.close()
  }
}

await main()
