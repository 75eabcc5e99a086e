/** `pnpm demo`: a Stripe emulator, the example API and an agent that pays for it inside a budget. */
import { pathToFileURL } from 'node:url'
import { createPayingFetch, getPaymentInfo } from '@stripe402/client'
import {
  DiscoveryDocumentSchema,
  decodePaymentRequired,
  decodePaymentResponse,
  formatUnits,
  HEADERS,
  WELL_KNOWN_PATH,
} from '@stripe402/protocol'
import { startStripeEmulator } from '@stripe402/stripe-emulator'
import { ledgerFromEnv, startApi } from './server'

export interface DemoSummary {
  calls: number
  refusedBy: string
  charges: number
  chargedUnits: number
  spentUnits: number
  creditsLeft: number
  roundTrips: number
  roundTripsPerCall: number
}

const step = (n: number, text: string) => console.log(`\n[${n}/5] ${text}`)

export async function runDemo(options: { quiet?: boolean } = {}): Promise<DemoSummary> {
  const log = options.quiet ? () => {} : console.log
  const real = process.env.STRIPE_SECRET_KEY && process.env.STRIPE_PUBLISHABLE_KEY
  // Optional with real keys: another Stripe-compatible API (a proxy, a mock) instead of api.stripe.com.
  const realApiBase = process.env.STRIPE_API_BASE || undefined
  if (!options.quiet)
    step(1, real ? 'Using Stripe test mode from STRIPE_SECRET_KEY' : 'Starting the Stripe emulator')
  const emulator = real ? undefined : await startStripeEmulator({ port: 0 })
  // A fresh emulator account per run: the same card then means a fresh payer, even on a persisted ledger.
  const account = `demo${Date.now().toString(36)}`
  // No emulator means `real`: both keys are set, and the fallbacks are never taken.
  const stripe = emulator
    ? { ...emulator.keys(account), apiBase: emulator.url }
    : {
        secretKey: process.env.STRIPE_SECRET_KEY ?? '',
        publishableKey: process.env.STRIPE_PUBLISHABLE_KEY ?? '',
        ...(realApiBase && { apiBase: realApiBase }),
      }
  const stripeApiBase = emulator ? emulator.url : realApiBase
  log(`      ${stripeApiBase ?? 'https://api.stripe.com'}`)

  if (!options.quiet) step(2, 'Starting the paid API')
  const ledger = await ledgerFromEnv()
  const api = await startApi({ stripe, ledger })
  log(`      ${api.url} on ${ledger.label}`)

  try {
    if (!options.quiet) step(3, 'Discovering prices')
    const list = DiscoveryDocumentSchema.parse(
      await (await fetch(`${api.url}${WELL_KNOWN_PATH}`)).json(),
    )
    for (const route of list.routes) {
      const price =
        route.amount === 'dynamic'
          ? 'priced per request'
          : `${formatUnits(route.amount, route.currency)} per call`
      log(`      ${route.method.padEnd(5)} ${route.path.padEnd(24)} ${price}`)
    }
    const challenge = await fetch(`${api.url}/api/joke`)
    const required = decodePaymentRequired(challenge.headers.get(HEADERS.PAYMENT_REQUIRED))
    const [offer] = required.accepts
    if (!offer) throw new Error('the 402 challenge offers no way to pay')
    log(
      `      GET /api/joke unpaid -> ${challenge.status}: ${formatUnits(offer.amount, offer.currency)} per call, top-up from ${formatUnits(offer.minTopUp, offer.currency)}`,
    )

    if (!options.quiet)
      step(4, 'The agent pays once, then spends credits until its budget stops it')
    let roundTrips = 0
    const countingFetch: typeof fetch = (input, init) => {
      const url = input instanceof Request ? input.url : String(input)
      if (url.startsWith(api.url)) roundTrips++
      return fetch(input, init)
    }
    const budget = 50000 // $5.00 in total: one top-up, then the agent must stop
    const pay = createPayingFetch({
      card: {
        number: '4242424242424242',
        exp_month: 12,
        exp_year: new Date().getFullYear() + 3,
        cvc: '123',
      },
      ...(stripeApiBase ? { stripeApiBase } : {}),
      policy: { maxAmountPerRequest: 5000, maxTopUp: 50000, budget: { total: budget } },
      fetch: countingFetch,
    })
    // The agent reads the price list too: it learns which routes are priced, so its credential goes
    // up front to those, and only those, from their first call. Not counted as a paid call's trip.
    await (await pay(`${api.url}${WELL_KNOWN_PATH}`)).arrayBuffer()
    roundTrips = 0
    const calls: Array<() => Promise<Response>> = [
      () => pay(`${api.url}/api/joke`),
      () => pay(`${api.url}/api/forecast/lisbon`),
      () =>
        pay(`${api.url}/api/summarize`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ title: 'stripe402', pages: 3 }),
        }),
      () => pay(`${api.url}/api/report?days=30`),
      () => pay(`${api.url}/api/ticker`),
    ]
    let served = 0
    let servedTrips = 0
    let creditsLeft = 0
    let refusedBy = ''
    for (let i = 0; i < 1000; i++) {
      const call = calls[i % calls.length]
      if (!call) break
      const res = await call()
      if (res.status !== 200) {
        const info = getPaymentInfo(res)
        refusedBy = info?.reason
          ? `${info.reason}: ${info.message ?? ''}`.trim()
          : `HTTP ${res.status}`
        break
      }
      await res.arrayBuffer()
      served++
      servedTrips = roundTrips
      const paid = res.headers.get(HEADERS.PAYMENT_RESPONSE)
      if (paid) creditsLeft = decodePaymentResponse(paid).creditsRemaining
      if (served % 10 === 0)
        log(`      ${served} calls served, ${formatUnits(creditsLeft, 'usd')} of credits left`)
    }
    // The agent's own books, the same with the emulator and with Stripe: what it was charged and what it spent.
    const wallet = (await pay.wallet()).origins.find(
      (o) => o.origin === api.url && o.currency === 'usd',
    )
    const summary: DemoSummary = {
      calls: served,
      refusedBy,
      charges: wallet?.topUps ?? 0,
      chargedUnits: wallet?.spent ?? 0,
      spentUnits: wallet?.used ?? 0,
      creditsLeft,
      roundTrips: servedTrips,
      roundTripsPerCall: served ? servedTrips / served : 0,
    }

    if (!options.quiet) {
      step(5, 'Summary')
      log(`      calls served          ${summary.calls}`)
      log(`      stopped by            ${summary.refusedBy || 'nothing (ran out of calls)'}`)
      log(
        `      card charges          ${summary.charges} (${formatUnits(summary.chargedUnits, 'usd')})`,
      )
      log(`      spent on calls        ${formatUnits(summary.spentUnits, 'usd')}`)
      log(`      credits left          ${formatUnits(summary.creditsLeft, 'usd')}`)
      log(
        `      HTTP round trips      ${summary.roundTrips} for ${summary.calls} calls (${summary.roundTripsPerCall.toFixed(3)} per call: 2 for the first, 1 after)`,
      )
    }
    return summary
  } finally {
    await api.close()
    await ledger.close()
    await emulator?.close()
  }
}

// pathToFileURL, not `file://${argv[1]}`: a clone under a path with spaces or non-ASCII letters is percent-encoded.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runDemo().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error)
      process.exit(1)
    },
  )
}
