/** Parses `stripe402 fetch` arguments with node:util parseArgs into request options and a policy. */
import { parseArgs } from 'node:util'
import type { Policy } from '../options'
import { UsageError } from './card'
import { usageErrorFrom } from './parse'

export interface FetchArgs {
  url: string
  method: string
  headers: [string, string][]
  data?: string
  policy: Policy
  wallet?: string
  json: boolean
  stripeApi?: string
  paymentMethod?: string
  /** Pay through this treasury, with the handle in STRIPE402_TREASURY_HANDLE. */
  treasury?: string
}

export const FETCH_USAGE = `Usage: stripe402 fetch <url> [options]

Fetches a URL and pays its stripe402 price from the card in STRIPE402_CARD (number|mm|yyyy|cvc)
or with --payment-method, or through a treasury with --treasury (the agent's handle in
STRIPE402_TREASURY_HANDLE: no card here, the caps are the treasury's). The body goes to stdout,
a one-line payment summary to stderr.
Amounts are in units: 1 unit = 1/10,000 of the major currency unit (500 = $0.05).

  -X, --request METHOD     HTTP method (default GET, or POST with -d)
  -H, --header 'K: V'      request header (repeatable)
  -d, --data DATA          request body; @file reads a file, @- reads stdin (repeatable, joined by &)
      --max-amount N       highest price accepted per call
      --max-top-up N       largest single charge to the card
      --top-up N           preferred top-up size (default: the server's minimum)
      --budget-daily N     most charged to the card per UTC day
      --budget-monthly N   most charged per UTC month
      --budget-total N     most charged ever
      --budget-currency C  the currency budgets are in (default usd); others are refused
      --allow-origin O     only pay this origin (repeatable; https://*.example.com allowed)
      --wallet FILE        wallet file (default $STRIPE402_WALLET or ~/.stripe402/wallet.json)
      --payment-method ID  pay with this Stripe PaymentMethod (pm_…) instead of a card
      --treasury URL       pay through this treasury (or STRIPE402_TREASURY_URL); with it only
                           --max-amount applies, as this call's maxPrice
      --stripe-api URL     Stripe API base (default https://api.stripe.com)
      --json               print {status, headers, body, payment} as JSON on stdout

Exit codes: 0 ok, 1 usage or other error, 2 refused by policy, 3 payment failed, 4 HTTP error.`

export function parseFetchArgs(argv: string[]): FetchArgs {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (error) {
    throw usageErrorFrom('fetch', error, FETCH_OPTIONS)
  }
  const { values, positionals } = parsed
  if (positionals.length !== 1) throw new UsageError('stripe402 fetch takes exactly one URL.')
  const url = positionals[0] as string
  try {
    new URL(url)
  } catch {
    throw new UsageError(`"${url}" is not an absolute URL.`)
  }
  const headers = (values.header ?? []).map((h): [string, string] => {
    const colon = h.indexOf(':')
    if (colon <= 0) throw new UsageError(`Header "${h}" must look like 'Name: value'.`)
    return [h.slice(0, colon).trim(), h.slice(colon + 1).trim()]
  })
  const data = values.data?.length ? values.data.join('&') : undefined
  const policy: Policy = {}
  const units = (name: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined
    if (!/^\d+$/.test(value))
      throw new UsageError(
        `--${name} must be a whole number of units (500 = $0.05), got "${value}".`,
      )
    return Number(value)
  }
  const maxAmount = units('max-amount', values['max-amount'])
  const maxTopUp = units('max-top-up', values['max-top-up'])
  const topUp = units('top-up', values['top-up'])
  const daily = units('budget-daily', values['budget-daily'])
  const monthly = units('budget-monthly', values['budget-monthly'])
  const total = units('budget-total', values['budget-total'])
  if (maxAmount !== undefined) policy.maxAmountPerRequest = maxAmount
  if (maxTopUp !== undefined) policy.maxTopUp = maxTopUp
  if (topUp !== undefined) policy.topUp = topUp
  const currency = values['budget-currency']
  if (currency !== undefined && !/^[a-z]{3}$/.test(currency))
    throw new UsageError(
      `--budget-currency must be a currency code such as usd, got "${currency}".`,
    )
  if (daily !== undefined || monthly !== undefined || total !== undefined) {
    policy.budget = {
      ...(daily !== undefined && { daily }),
      ...(monthly !== undefined && { monthly }),
      ...(total !== undefined && { total }),
      ...(currency !== undefined && { currency }),
    }
  }
  if (values['allow-origin']?.length) policy.allowOrigins = values['allow-origin']
  const paymentMethod = values['payment-method']
  if (paymentMethod !== undefined && !/^pm_[A-Za-z0-9_]+$/.test(paymentMethod))
    throw new UsageError('--payment-method must be a Stripe PaymentMethod id (pm_…).')
  const treasury = values.treasury
  if (treasury !== undefined) {
    if (!/^https?:\/\/\S+$/i.test(treasury))
      throw new UsageError("--treasury must be the treasury's http(s) URL.")
    // The treasury holds the card and the caps: a local card, wallet or budget would say otherwise.
    const local = [
      'payment-method',
      'max-top-up',
      'top-up',
      'budget-daily',
      'budget-monthly',
      'budget-total',
      'budget-currency',
      'allow-origin',
      'wallet',
      'stripe-api',
    ] as const
    const given = local.filter((name) => values[name] !== undefined)
    if (given.length > 0)
      throw new UsageError(
        `--treasury pays with the treasury's card within the agent's caps: drop ${given.map((n) => `--${n}`).join(', ')}.`,
      )
  }
  return {
    url,
    method: (values.request ?? (data !== undefined ? 'POST' : 'GET')).toUpperCase(),
    headers,
    ...(data !== undefined && { data }),
    policy,
    ...(values.wallet !== undefined && { wallet: values.wallet }),
    json: values.json === true,
    ...(values['stripe-api'] !== undefined && { stripeApi: values['stripe-api'] }),
    ...(paymentMethod !== undefined && { paymentMethod }),
    ...(treasury !== undefined && { treasury }),
  }
}

const FETCH_OPTIONS = {
  request: { type: 'string', short: 'X' },
  header: { type: 'string', short: 'H', multiple: true },
  data: { type: 'string', short: 'd', multiple: true },
  'max-amount': { type: 'string' },
  'max-top-up': { type: 'string' },
  'top-up': { type: 'string' },
  'budget-daily': { type: 'string' },
  'budget-monthly': { type: 'string' },
  'budget-total': { type: 'string' },
  'budget-currency': { type: 'string' },
  'allow-origin': { type: 'string', multiple: true },
  wallet: { type: 'string' },
  'payment-method': { type: 'string' },
  treasury: { type: 'string' },
  'stripe-api': { type: 'string' },
  json: { type: 'boolean' },
} as const

function parse(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, strict: true, options: FETCH_OPTIONS })
}
