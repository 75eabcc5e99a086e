/** `pnpm --filter @stripe402/example start`: the example API alone, for your own client or the conformance CLI. */
import { startStripeEmulator } from '@stripe402/stripe-emulator'
import { ledgerFromEnv, startApi } from './server'

const port = Number(process.env.PORT ?? 4021)
const real = process.env.STRIPE_SECRET_KEY && process.env.STRIPE_PUBLISHABLE_KEY
const emulator = real
  ? undefined
  : await startStripeEmulator({ port: Number(process.env.STRIPE_EMULATOR_PORT ?? 12111) })
// Optional with real keys: another Stripe-compatible API (a proxy, a mock) instead of api.stripe.com.
const realApiBase = process.env.STRIPE_API_BASE || undefined
// No emulator means `real`: both keys are set, and the fallbacks are never taken.
const stripe = emulator
  ? // A fresh emulator account per start: the emulator's card fingerprints are deterministic, so
    // on a persisted ledger the test cards would otherwise meet last run's balances.
    { ...emulator.keys(`example${Date.now().toString(36)}`), apiBase: emulator.url }
  : {
      secretKey: process.env.STRIPE_SECRET_KEY ?? '',
      publishableKey: process.env.STRIPE_PUBLISHABLE_KEY ?? '',
      ...(realApiBase && { apiBase: realApiBase }),
    }
const ledger = await ledgerFromEnv()
const api = await startApi({ port, stripe, ledger })

console.log(`stripe402 example API   ${api.url}`)
console.log(
  `Stripe                  ${emulator ? `emulator at ${emulator.url}` : `test mode (STRIPE_SECRET_KEY)${realApiBase ? ` at ${realApiBase}` : ''}`}`,
)
console.log(`ledger                  ${ledger.label}`)
console.log(`price list              ${api.url}/.well-known/stripe402`)
console.log(`try                     curl -i ${api.url}/api/joke`)
if (emulator) {
  console.log(
    `conformance             npx @stripe402/conformance ${api.url} --route "GET /api/joke" --free-route "GET /health" --stripe-api ${emulator.url}`,
  )
}

const stop = async () => {
  await api.close()
  await ledger.close()
  await emulator?.close()
  process.exit(0)
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
