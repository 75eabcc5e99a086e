/**
 * Where the credit path's time goes, in process and without HTTP: the engine's `begin` on the free
 * and the paid route, and the pieces of the paid one, in microseconds per call (best of several runs).
 */
import {
  base64EncodeUtf8,
  decodePaymentPayload,
  decodePaymentResponse,
  encodePaymentPayload,
  encodePaymentResponse,
  HEADERS,
  type PaymentResponse,
} from '@stripe402/protocol'
import { createPaywall, hashCredential, MemoryLedger, type PaywallRequest } from '@stripe402/server'
import { parseClientId } from '../../../packages/server/src/credentials'
import { BENCH_SECRET, FREE_PATH, PAID_AMOUNT, PAID_PATH, TOP_UP_UNITS } from './ipc'
import { createPaymentMethod } from './payer'

export interface EngineStep {
  step: string
  microsPerCall: number
}

export interface EngineProfile {
  iterations: number
  steps: EngineStep[]
}

const timeSync = (iterations: number, fn: () => unknown): number => {
  const started = performance.now()
  for (let i = 0; i < iterations; i++) fn()
  return ((performance.now() - started) * 1000) / iterations
}

/**
 * Yields to the event loop every 64 calls, as a server does between requests: the engine's
 * timers (the batched settlement of held debits) must run, or their queues grow without end.
 */
const timeAsync = async (iterations: number, fn: () => Promise<unknown>): Promise<number> => {
  const started = performance.now()
  for (let i = 0; i < iterations; i++) {
    await fn()
    if (i % 64 === 63) await new Promise((resolve) => setImmediate(resolve))
  }
  return ((performance.now() - started) * 1000) / iterations
}

export async function profileEngine(
  stripe: { url: string; publishableKey: string; secretKey: string },
  iterations: number,
  runs = 5,
): Promise<EngineProfile> {
  const ledger = new MemoryLedger()
  const paywall = createPaywall({
    stripe: {
      secretKey: stripe.secretKey,
      publishableKey: stripe.publishableKey,
      apiBase: stripe.url,
      maxNetworkRetries: 0,
    },
    secret: BENCH_SECRET,
    ledger,
    routes: { [`GET ${PAID_PATH}`]: { amount: PAID_AMOUNT, maxTopUp: TOP_UP_UNITS } },
    rateLimits: false,
    logger: {
      warn: () => {},
      error: (message) => process.stderr.write(`[engine profile] ${message}\n`),
    },
  })
  const request = (path: string, payment: string | null): PaywallRequest => ({
    method: 'GET',
    url: path,
    headers: { get: (name) => (name.toLowerCase() === HEADERS.PAYMENT ? payment : null) },
  })
  const pm = await createPaymentMethod(stripe.url, stripe.publishableKey)
  const first = await paywall.begin(
    request(
      PAID_PATH,
      encodePaymentPayload({ stripe402Version: 1, paymentMethodId: pm, topUpAmount: TOP_UP_UNITS }),
    ),
  )
  if (first.type !== 'paid') throw new Error(`engine profile: the top-up answered ${first.type}`)
  await first.settle(200)
  const receipt = decodePaymentResponse(first.headers[HEADERS.PAYMENT_RESPONSE])
  const header = encodePaymentPayload({
    stripe402Version: 1,
    clientId: receipt.clientId,
    maxAmount: 100,
  })
  const freeRequest = request(FREE_PATH, null)
  const paidRequest = request(PAID_PATH, header)
  const response: PaymentResponse = {
    success: true,
    creditsRemaining: receipt.creditsRemaining,
    clientId: receipt.clientId,
    amountCharged: PAID_AMOUNT,
    currency: 'usd',
  }
  const responseJson = JSON.stringify(response)
  const account = `bench_profile_account`
  await ledger.credit({
    accountId: account,
    currency: 'usd',
    units: TOP_UP_UNITS,
    kind: 'top_up',
    ref: 'pi_profile',
  })

  const steps: Array<[string, () => number | Promise<number>]> = [
    ['paywall.begin, free route', () => timeAsync(iterations, () => paywall.begin(freeRequest))],
    [
      'paywall.begin + settle(200), paid route (credential up front)',
      () =>
        timeAsync(iterations, async () => {
          const outcome = await paywall.begin(paidRequest)
          if (outcome.type !== 'paid')
            throw new Error(`engine profile: a paid call answered ${outcome.type}`)
          await outcome.settle(200)
        }),
    ],
    [
      '  decodePaymentPayload, a header sent again (remembered)',
      () => timeSync(iterations, () => decodePaymentPayload(header)),
    ],
    [
      '  decodePaymentPayload, a header not seen before',
      // Options turn the memory of recent headers off: this is the first-sight cost.
      () => timeSync(iterations, () => decodePaymentPayload(header, {})),
    ],
    [
      '  parseClientId, a credential sent again (remembered)',
      () => timeSync(iterations, () => parseClientId(receipt.clientId, 'token')),
    ],
    [
      '  hashCredential (SHA-256 of a credential not seen before)',
      () => timeSync(iterations, () => hashCredential(receipt.clientId)),
    ],
    [
      '  MemoryLedger.spend',
      () =>
        timeAsync(iterations, () =>
          ledger.spend({ accountId: account, currency: 'usd', units: 1, ref: 'GET /api/paid' }),
        ),
    ],
    [
      '  encodePaymentResponse (the payment-response header)',
      () => timeSync(iterations, () => encodePaymentResponse(response)),
    ],
    [
      '    of which base64EncodeUtf8 of its JSON',
      () => timeSync(iterations, () => base64EncodeUtf8(responseJson)),
    ],
    [
      '    Buffer.from(json).toString("base64"), for comparison',
      () => timeSync(iterations, () => Buffer.from(responseJson).toString('base64')),
    ],
  ]
  const result: EngineStep[] = []
  for (const [step, measure] of steps) {
    await measure() // warm-up: JIT
    let best = Number.POSITIVE_INFINITY
    for (let run = 0; run < runs; run++) best = Math.min(best, await measure())
    result.push({ step, microsPerCall: best })
  }
  return { iterations, steps: result }
}
