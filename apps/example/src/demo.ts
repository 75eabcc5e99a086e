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
import { demoLogger, ledgerFromEnv, startApi } from './server'

/** What the agent did on one route of the demo: calls served and the credits they used. */
export interface RouteSummary {
  /** `METHOD /path` as the agent called it. */
  route: string
  calls: number
  usedUnits: number
}

/**
 * The demo's outcome, in one vocabulary: **charged** is money taken from the card (top-ups),
 * **used** is credits spent on calls, **credits left** is what remains on the server's balance.
 */
export interface DemoSummary {
  calls: number
  /** Every route the agent called, in the order it called them. */
  routes: RouteSummary[]
  /** `reason: message` of the call that stopped the agent, or '' if none did. */
  refusedBy: string
  /** The call that stopped the agent: its number (1-based), route, and why. */
  refused?: { call: number; route: string; reason: string; message: string }
  /** Top-ups charged to the card, as the server confirmed them. */
  charges: number
  chargedUnits: number
  /** Top-ups the server never confirmed (a 503, a lost answer): charged? unknown. */
  unconfirmedTopUps: number
  unconfirmedUnits: number
  usedUnits: number
  creditsLeft: number
  roundTrips: number
  roundTripsPerCall: number
  /** HTTP round trips of each served call, in order. */
  tripsPerCall: number[]
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
  // A Redis or PostgreSQL that cannot be reached stops the demo here, in one line.
  const ledger = await ledgerFromEnv().catch(async (error: unknown) => {
    await emulator?.close()
    throw error
  })
  // The demo's reader did not choose its public secret or its lack of a webhook: no warnings about them.
  const api = await startApi({ stripe, ledger, logger: demoLogger() })
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
      step(4, 'The agent pays once, then uses its credits until its budget stops it')
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
    const calls: Array<{ route: string; call: () => Promise<Response> }> = [
      { route: 'GET /api/joke', call: () => pay(`${api.url}/api/joke`) },
      { route: 'GET /api/forecast/lisbon', call: () => pay(`${api.url}/api/forecast/lisbon`) },
      {
        route: 'POST /api/summarize',
        call: () =>
          pay(`${api.url}/api/summarize`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ title: 'stripe402', pages: 3 }),
          }),
      },
      { route: 'GET /api/report?days=30', call: () => pay(`${api.url}/api/report?days=30`) },
      { route: 'GET /api/ticker', call: () => pay(`${api.url}/api/ticker`) },
    ]
    const routes: RouteSummary[] = calls.map(({ route }) => ({ route, calls: 0, usedUnits: 0 }))
    const tripsPerCall: number[] = []
    let served = 0
    let creditsLeft = 0
    let refused: DemoSummary['refused']
    for (let i = 0; i < 1000; i++) {
      const next = calls[i % calls.length]
      const tally = routes[i % calls.length]
      if (!next || !tally) break
      const tripsBefore = roundTrips
      const res = await next.call()
      const info = getPaymentInfo(res)
      if (res.status !== 200) {
        refused = {
          call: i + 1,
          route: next.route,
          reason: info?.reason ?? `HTTP ${res.status}`,
          message: info?.message ?? '',
        }
        break
      }
      await res.arrayBuffer()
      served++
      tripsPerCall.push(roundTrips - tripsBefore)
      tally.calls++
      tally.usedUnits += info?.outcome === 'paid' ? (info.amount ?? 0) : 0
      const paid = res.headers.get(HEADERS.PAYMENT_RESPONSE)
      if (paid) creditsLeft = decodePaymentResponse(paid).creditsRemaining
      if (served % 10 === 0)
        log(`      ${served} calls served, ${formatUnits(creditsLeft, 'usd')} of credits left`)
    }
    // The agent's own books, the same with the emulator and with Stripe: what was charged and what was used.
    const wallet = (await pay.wallet()).origins.find(
      (o) => o.origin === api.url && o.currency === 'usd',
    )
    const servedTrips = tripsPerCall.reduce((a, b) => a + b, 0)
    const summary: DemoSummary = {
      calls: served,
      routes,
      refusedBy: refused ? `${refused.reason}: ${refused.message}`.trim() : '',
      ...(refused && { refused }),
      // Charged means confirmed: a top-up the server never answered for is shown apart.
      charges: (wallet?.topUps ?? 0) - (wallet?.unconfirmedTopUps ?? 0),
      chargedUnits: (wallet?.spent ?? 0) - (wallet?.unconfirmed ?? 0),
      unconfirmedTopUps: wallet?.unconfirmedTopUps ?? 0,
      unconfirmedUnits: wallet?.unconfirmed ?? 0,
      usedUnits: wallet?.used ?? 0,
      creditsLeft,
      roundTrips: servedTrips,
      roundTripsPerCall: served ? servedTrips / served : 0,
      tripsPerCall,
    }

    if (!options.quiet) {
      step(5, 'Summary')
      for (const line of summaryLines(summary)) log(line)
    }
    return summary
  } finally {
    await api.close()
    await ledger.close()
    await emulator?.close()
  }
}

/** The summary as the demo prints it, every figure from what happened. */
export function summaryLines(summary: DemoSummary): string[] {
  const usd = (units: number) => formatUnits(units, 'usd')
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
  const width = Math.max(5, ...summary.routes.map((r) => r.route.length))
  const lines = [
    `      charged to the card   ${usd(summary.chargedUnits)} in ${plural(summary.charges, 'top-up')}`,
    ...(summary.unconfirmedTopUps > 0
      ? [
          `      unconfirmed           ${usd(summary.unconfirmedUnits)} in ${plural(summary.unconfirmedTopUps, 'top-up')}: charged? unknown, no answer named a charge`,
        ]
      : []),
    `      credits used          ${usd(summary.usedUnits)} on ${plural(summary.calls, 'call')}`,
    `      credits left          ${usd(summary.creditsLeft)}`,
    '',
    `      ${'ROUTE'.padEnd(width)}  CALLS   USED`,
    ...summary.routes.map(
      (r) =>
        `      ${r.route.padEnd(width)}  ${String(r.calls).padStart(5)}  ${usd(r.usedUnits).padStart(5)}`,
    ),
    '',
    summary.refused
      ? `      refused call ${summary.refused.call} (${summary.refused.route}): ${`${summary.refused.reason}: ${summary.refused.message}`.replace(/: $/, '')}`
      : '      refused               nothing (ran out of calls)',
    `      HTTP round trips      ${summary.roundTrips} for ${plural(summary.calls, 'call')} (${describeRoundTrips(summary.tripsPerCall)})`,
  ]
  return lines
}

/** How many HTTP round trips the served calls took, in words: `2 for the first call, 1 for each after`. */
export function describeRoundTrips(perCall: number[]): string {
  const [first, ...rest] = perCall
  if (first === undefined) return 'no calls served'
  if (rest.length === 0) return `${first} for the one call`
  const low = Math.min(...rest)
  const high = Math.max(...rest)
  if (low === high && low === first) return `${first} per call`
  if (low === high) return `${first} for the first call, ${low} for each after`
  return `${first} for the first call, then ${low} to ${high} each`
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
