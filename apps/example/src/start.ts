/** `pnpm --filter @stripe402/example start`: the example API alone, for your own client or the conformance CLI. */
import { startStripeEmulator } from '@stripe402/stripe-emulator'
import { LedgerUnreachableError, ledgerFromEnv, startApi } from './server'

/** One line for what a newcomer can fix (a port in use, a ledger that is down); the stack otherwise. */
function fail(error: unknown, setting: string, port: number): never {
  const code = (error as { code?: string } | null)?.code
  if (code === 'EADDRINUSE') {
    console.error(
      `port ${port} is already in use (another example API?); stop that process or set ${setting}=<another port>, e.g. ${setting}=${port + 1} npm run start:example`,
    )
  } else if (error instanceof LedgerUnreachableError) {
    console.error(error.message)
  } else {
    console.error(error)
  }
  process.exit(1)
}

const port = Number(process.env.PORT ?? 4021)
const emulatorPort = Number(process.env.STRIPE_EMULATOR_PORT ?? 12111)
const real = process.env.STRIPE_SECRET_KEY && process.env.STRIPE_PUBLISHABLE_KEY
const emulator = real
  ? undefined
  : await startStripeEmulator({ port: emulatorPort }).catch((error: unknown) =>
      fail(error, 'STRIPE_EMULATOR_PORT', emulatorPort),
    )
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
const ledger = await ledgerFromEnv().catch((error: unknown) => fail(error, 'PORT', port))
const api = await startApi({ port, stripe, ledger }).catch((error: unknown) =>
  fail(error, 'PORT', port),
)

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
