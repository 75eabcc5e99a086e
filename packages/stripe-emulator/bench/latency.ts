/**
 * How long the emulator takes to answer, through the official SDK over loopback, per call the
 * engine makes when it charges a card: tokenize (publishable key), then create-and-confirm a
 * PaymentIntent (secret key). Sequential calls, so each figure is one round trip.
 *   pnpm --filter @stripe402/stripe-emulator bench [--calls=500]
 */
import { parseArgs } from 'node:util'
import Stripe from 'stripe'
import { startStripeEmulator, testCardParams } from '../src/index'

const { values } = parseArgs({ options: { calls: { type: 'string', default: '500' } } })
const calls = Number(values.calls)
if (!Number.isSafeInteger(calls) || calls < 10) throw new Error('--calls must be an integer ≥ 10')

const emu = await startStripeEmulator()
const secret = new Stripe(emu.keys().secretKey, { ...emu.sdkConfig(), maxNetworkRetries: 0 })
const publishable = new Stripe(emu.keys().publishableKey, {
  ...emu.sdkConfig(),
  maxNetworkRetries: 0,
})

async function timed(n: number, call: (i: number) => Promise<unknown>): Promise<number[]> {
  const ms: number[] = []
  for (let i = 0; i < n; i++) {
    const started = performance.now()
    await call(i)
    ms.push(performance.now() - started)
  }
  return ms.sort((a, b) => a - b)
}
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN

// Warm-up: the SDK's and the emulator's first calls compile code paths.
await timed(20, () =>
  publishable.paymentMethods.create({ type: 'card', card: testCardParams('visa') }),
)

const tokenize = await timed(calls, () =>
  publishable.paymentMethods.create({ type: 'card', card: testCardParams('visa') }),
)
const pms = await Promise.all(
  Array.from({ length: calls }, () =>
    publishable.paymentMethods.create({ type: 'card', card: testCardParams('visa') }),
  ),
)
const charge = await timed(calls, (i) =>
  secret.paymentIntents.create(
    {
      amount: 500,
      currency: 'usd',
      payment_method: pms[i]?.id ?? 'pm_card_visa',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    },
    { idempotencyKey: `bench-${i}` },
  ),
)
await emu.close()

const row = (name: string, ms: number[]) =>
  `| ${name} | ${ms.length} | ${pct(ms, 50).toFixed(2)} | ${pct(ms, 99).toFixed(2)} | ${(ms.at(-1) ?? Number.NaN).toFixed(2)} |`
console.log(`Stripe emulator latency through the stripe SDK on loopback, Node ${process.version}\n`)
console.log('| Call | Calls | p50 ms | p99 ms | max ms |\n| --- | ---: | ---: | ---: | ---: |')
console.log(row('tokenize (POST /v1/payment_methods, publishable key)', tokenize))
console.log(
  row('create and confirm (POST /v1/payment_intents, secret key, idempotency key)', charge),
)
