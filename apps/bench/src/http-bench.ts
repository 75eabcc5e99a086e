/**
 * The free route against the paid credit path on the same app, interleaved in short rounds
 * (free, paid, paid, free, …) so that noise from other work on the machine hits both alike.
 */
import { encodePaymentPayload, HEADERS } from '@stripe402/protocol'
import {
  type AdapterName,
  FREE_PATH,
  type LedgerName,
  PAID_AMOUNT,
  PAID_PATH,
  WIRE_PATH,
} from './ipc'
import { type LoadResult, pooled, quantile, runLoad } from './load'
import { createPaymentMethod, payOnce } from './payer'
import { startServerProcess } from './server-process'
import { redisCpuProbe } from './store-cpu'

export interface HttpSettings {
  /** Measured rounds; each runs the free route once and the paid route once. */
  rounds: number
  /** Target length of each burst, in seconds. */
  seconds: number
  /** Unmeasured burst per route before the rounds (JIT, connections, ledger caches). */
  warmupSeconds: number
  connections: number
}

export interface Stripe {
  url: string
  publishableKey: string
}

export interface RoundStats {
  requestsPerSecond: number
  responses: number
  elapsedMs: number
  p50Ms: number
  p99Ms: number
  /** CPU the server process spent per request (user + system), in microseconds: immune to how busy the other core was. */
  serverCpuMicrosPerRequest: number
  /** Bytes the server's JavaScript allocated per request (V8's total_allocated_bytes): load on the machine barely moves it. */
  serverBytesPerRequest?: number
  /**
   * Redis cells only: CPU redis-server spent per request, in microseconds. It includes whatever other
   * clients made it do meanwhile; the free route, which never touches Redis, shows that background.
   */
  storeCpuMicrosPerRequest?: number
}

export interface RouteSummary extends RoundStats {
  rounds: RoundStats[]
}

/** Proof that the paid route was never served unpaid and never charged for nothing. */
export interface Correctness {
  /** 2xx answers the load generator got on the paid route during the measured rounds. */
  paid2xx: number
  paidNon2xx: number
  freeNon2xx: number
  /** Connection errors and timeouts, both routes. */
  errors: number
  /** Balance before minus balance after the rounds, in units. */
  unitsDebited: number
  /** `unitsDebited / amount`: how many paid calls the ledger charged for. */
  callsDebited: number
  /** Times the paid handler ran (counted in the server process). */
  paidHandlerRuns: number
  ok: boolean
  problems: string[]
}

export interface HttpCell {
  adapter: AdapterName
  ledger: LedgerName
  /** How the server process set the ledger up. */
  ledgerSetup: string
  free: RouteSummary
  paid: RouteSummary
  /**
   * Express × memory only: the free route sent the paid route's Payment header and answering with
   * the paywall's headers (WIRE_PATH), in the same rounds. Its CPU over the free route's is what
   * the protocol's bytes cost on the wire; the paid route's over it, the engine's work.
   */
  wire?: RouteSummary
  /** Paid requests/s over free requests/s: the median of the rounds' ratios (one disturbed burst cannot move it much). */
  ratio: number
  /** The same, from requests/s pooled over all rounds. */
  pooledRatio: number
  /** The same ratio per round (free and paid of one round side by side), to show the noise. */
  roundRatios: number[]
  correctness: Correctness
}

export interface SkippedCell {
  adapter: AdapterName
  ledger: LedgerName
  skipped: string
}

/** The cell could not be measured: the server did not start, or the load failed. */
export interface FailedCell {
  adapter: AdapterName
  ledger: LedgerName
  error: string
}

export type HttpResult = HttpCell | SkippedCell | FailedCell

export const isSkipped = (r: HttpResult): r is SkippedCell => 'skipped' in r
export const isFailed = (r: HttpResult): r is FailedCell => 'error' in r
export const isMeasured = (r: HttpResult): r is HttpCell => 'correctness' in r

/** The middle value (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

type Route = 'free' | 'paid' | 'wire'

/** A burst and the CPU it cost the server (and redis-server, in Redis cells). */
interface Burst extends LoadResult {
  cpuMicros: number
  allocatedBytes: number
  storeCpuMicros?: number
}

function summarize(bursts: Burst[]): RouteSummary {
  const rounds = bursts.map((b) => {
    const sorted = pooled([b])
    return {
      requestsPerSecond: (b.responses / b.elapsedMs) * 1000,
      responses: b.responses,
      elapsedMs: b.elapsedMs,
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
      serverCpuMicrosPerRequest: b.cpuMicros / b.responses,
      serverBytesPerRequest: b.allocatedBytes / b.responses,
      ...(b.storeCpuMicros !== undefined && {
        storeCpuMicrosPerRequest: b.storeCpuMicros / b.responses,
      }),
    }
  })
  const all = pooled(bursts)
  const sum = (pick: (b: Burst) => number) => bursts.reduce((n, b) => n + pick(b), 0)
  const responses = sum((b) => b.responses)
  return {
    requestsPerSecond: (responses / sum((b) => b.elapsedMs)) * 1000,
    responses,
    elapsedMs: sum((b) => b.elapsedMs),
    p50Ms: quantile(all, 0.5),
    p99Ms: quantile(all, 0.99),
    serverCpuMicrosPerRequest: sum((b) => b.cpuMicros) / responses,
    serverBytesPerRequest: sum((b) => b.allocatedBytes) / responses,
    ...(bursts.every((b) => b.storeCpuMicros !== undefined) && {
      storeCpuMicrosPerRequest: sum((b) => b.storeCpuMicros ?? 0) / responses,
    }),
    rounds,
  }
}

export async function benchCell(
  adapter: AdapterName,
  ledger: LedgerName,
  stripe: Stripe,
  settings: HttpSettings,
  log: (line: string) => void,
): Promise<HttpResult> {
  const server = await startServerProcess({ adapter, ledger, stripeApiBase: stripe.url })
  if (typeof server === 'string') {
    log(`  skipped: ${server}`)
    return { adapter, ledger, skipped: server }
  }
  const store = ledger === 'redis' ? await redisCpuProbe() : null
  try {
    const { clientId } = await payOnce(
      server.url,
      await createPaymentMethod(stripe.url, stripe.publishableKey),
    )
    // The steady-state header of @stripe402/client: the credential up front, with a price ceiling.
    const payment = encodePaymentPayload({ stripe402Version: 1, clientId, maxAmount: 100 })
    const target = {
      free: { url: `${server.url}${FREE_PATH}` },
      paid: { url: `${server.url}${PAID_PATH}`, headers: { [HEADERS.PAYMENT]: payment } },
      wire: { url: `${server.url}${WIRE_PATH}`, headers: { [HEADERS.PAYMENT]: payment } },
    }
    const routes: Route[] =
      adapter === 'express' && ledger === 'memory' ? ['free', 'paid', 'wire'] : ['free', 'paid']
    const { connections } = settings

    // Warm-up: a short probe for the rate, then about warmupSeconds. Fixed-size bursts here too, because a
    // timed burst stops with requests in flight that the server would debit after the balance is read.
    const rate = { free: 0, paid: 0, wire: 0 }
    for (const route of routes) {
      for (const amount of [connections * 10, undefined]) {
        const warm = await runLoad({
          ...target[route],
          connections,
          amount: amount ?? Math.round(rate[route] * settings.warmupSeconds),
        })
        rate[route] = (warm.responses / warm.elapsedMs) * 1000
        if (warm.non2xx > 0 || warm.errors > 0)
          throw new Error(
            `warm-up of the ${route} route got ${JSON.stringify(warm.statuses)} and ${warm.errors} errors`,
          )
      }
    }
    const balanceBefore = await server.balance(clientId)
    const statsBefore = await server.stats()

    const bursts: Record<Route, Burst[]> = { free: [], paid: [], wire: [] }
    let cpuMark = statsBefore.cpuMicros
    let bytesMark = statsBefore.allocatedBytes
    for (let round = 0; round < settings.rounds; round++) {
      // ABBA order, so a drift in machine load does not favour one route.
      const order = round % 2 === 0 ? routes : [...routes].reverse()
      for (const route of order) {
        // A fixed number of requests (sized from the last rate) rather than a timer: every request sent is answered and counted.
        const amount = Math.max(connections, Math.round(rate[route] * settings.seconds))
        const storeBefore = await store?.read()
        const result = await runLoad({ ...target[route], connections, amount })
        const storeAfter = await store?.read()
        const now = await server.stats()
        const cpuNow = now.cpuMicros
        bursts[route].push({
          ...result,
          cpuMicros: cpuNow - cpuMark,
          allocatedBytes: now.allocatedBytes - bytesMark,
          ...(storeBefore !== undefined &&
            storeAfter !== undefined && { storeCpuMicros: storeAfter - storeBefore }),
        })
        cpuMark = cpuNow
        bytesMark = now.allocatedBytes
        rate[route] = (result.responses / result.elapsedMs) * 1000
      }
      const free = bursts.free[round] as Burst
      const paid = bursts.paid[round] as Burst
      const freeRps = (free.responses / free.elapsedMs) * 1000
      const paidRps = (paid.responses / paid.elapsedMs) * 1000
      const cpu = (b: Burst) =>
        `${(b.cpuMicros / b.responses).toFixed(0)} µs CPU, ${(b.allocatedBytes / b.responses / 1024).toFixed(1)} KB/req`
      const wire = bursts.wire[round]
      log(
        `  round ${round + 1}/${settings.rounds}: free ${Math.round(freeRps)} req/s (${cpu(free)}), paid ${Math.round(paidRps)} req/s (${cpu(paid)}), paid/free ${(paidRps / freeRps).toFixed(3)}` +
          (wire ? `; free with the protocol's headers ${cpu(wire)}` : ''),
      )
    }

    const balanceAfter = await server.balance(clientId)
    const statsAfter = await server.stats()
    const free = summarize(bursts.free)
    const paid = summarize(bursts.paid)
    const roundRatios = paid.rounds.map(
      (p, i) => p.requestsPerSecond / (free.rounds[i] as RoundStats).requestsPerSecond,
    )

    const count = (results: Burst[], pick: (r: Burst) => number) =>
      results.reduce((n, r) => n + pick(r), 0)
    const paid2xx = count(bursts.paid, (r) => r.responses - r.non2xx)
    const unitsDebited = (balanceBefore ?? Number.NaN) - (balanceAfter ?? Number.NaN)
    const correctness: Correctness = {
      paid2xx,
      paidNon2xx: count(bursts.paid, (r) => r.non2xx),
      freeNon2xx: count([...bursts.free, ...bursts.wire], (r) => r.non2xx),
      errors: count([...bursts.free, ...bursts.paid, ...bursts.wire], (r) => r.errors),
      unitsDebited,
      callsDebited: unitsDebited / PAID_AMOUNT,
      paidHandlerRuns: statsAfter.served.paid - statsBefore.served.paid,
      ok: true,
      problems: [],
    }
    const problems = correctness.problems
    if (correctness.callsDebited !== paid2xx)
      problems.push(`${paid2xx} paid 2xx answers but ${correctness.callsDebited} calls debited`)
    if (correctness.paidHandlerRuns !== paid2xx)
      problems.push(
        `the paid handler ran ${correctness.paidHandlerRuns} times for ${paid2xx} paid 2xx answers`,
      )
    if (correctness.paidNon2xx > 0)
      problems.push(`${correctness.paidNon2xx} non-2xx answers on the paid route`)
    if (correctness.freeNon2xx > 0)
      problems.push(`${correctness.freeNon2xx} non-2xx answers on the free route`)
    if (correctness.errors > 0) problems.push(`${correctness.errors} connection errors or timeouts`)
    const paidSeen = (statsAfter.requests[PAID_PATH] ?? 0) - (statsBefore.requests[PAID_PATH] ?? 0)
    if (paidSeen !== paid.responses)
      problems.push(
        `the server saw ${paidSeen} paid requests, the load generator counted ${paid.responses} answers`,
      )
    correctness.ok = problems.length === 0
    log(
      `  ${adapter} × ${ledger}: paid/free ${median(roundRatios).toFixed(3)}; ${correctness.ok ? `correct (${paid2xx} paid = ${unitsDebited} units debited)` : `INCORRECT: ${problems.join('; ')}`}`,
    )

    return {
      adapter,
      ledger,
      ledgerSetup: server.ledger,
      free,
      paid,
      ...(bursts.wire.length > 0 && { wire: summarize(bursts.wire) }),
      ratio: median(roundRatios),
      pooledRatio: paid.requestsPerSecond / free.requestsPerSecond,
      roundRatios,
      correctness,
    }
  } finally {
    store?.close()
    await server.stop()
  }
}
