/** Checks `createPayingFetch` options once, so a typo in a budget fails loudly at startup instead of spending. */
import { Stripe402ClientError } from './errors'
import { mayCarryPayment } from './request/transport'
import type { PayingFetchOptions, PerCurrency } from './options'

export function validateOptions(options: PayingFetchOptions): void {
  const fail = (message: string): never => {
    throw new Stripe402ClientError('invalid_options', message)
  }
  const policy = options.policy ?? {}
  const units = (name: string, value: PerCurrency | undefined) => {
    if (value === undefined) return
    const entries = typeof value === 'number' ? [['', value] as const] : Object.entries(value)
    for (const [currency, n] of entries) {
      if (currency !== '' && !/^[a-z]{3}$/.test(currency))
        fail(`${name}: "${currency}" is not a lower-case ISO 4217 currency code.`)
      if (!Number.isSafeInteger(n) || n < 0) {
        fail(
          `${name}${currency ? `.${currency}` : ''} must be a whole, non-negative number of units (1 unit = 1/10,000 of the major unit), got ${String(n)}.`,
        )
      }
    }
  }
  units('policy.maxAmountPerRequest', policy.maxAmountPerRequest)
  units('policy.maxTopUp', policy.maxTopUp)
  units('policy.budget.daily', policy.budget?.daily)
  units('policy.budget.monthly', policy.budget?.monthly)
  units('policy.budget.total', policy.budget?.total)
  const budgetCurrency = policy.budget?.currency
  if (budgetCurrency !== undefined && !/^[a-z]{3}$/.test(String(budgetCurrency)))
    fail(
      `policy.budget.currency: "${String(budgetCurrency)}" is not a lower-case ISO 4217 currency code.`,
    )
  if (typeof policy.topUp === 'number') units('policy.topUp', policy.topUp)
  for (const origin of policy.allowOrigins ?? []) {
    if (typeof origin !== 'string' || !/^https?:\/\/[^/]+\/?$/i.test(origin.trim())) {
      fail(
        `policy.allowOrigins: "${String(origin)}" is not an origin such as https://api.example.com.`,
      )
    }
    if (!origin.includes('*')) {
      try {
        new URL(origin)
      } catch {
        fail(`policy.allowOrigins: "${origin}" is not a valid origin.`)
      }
    }
  }
  if (options.card) {
    const { number, exp_month, exp_year, cvc } = options.card
    // The message never repeats the number: it may be a real card.
    if (typeof number !== 'string' || !/^[\d\s-]{12,23}$/.test(number))
      fail('card.number must be 12 to 19 digits.')
    if (!/^\d{1,2}$/.test(String(exp_month)) || !/^\d{2,4}$/.test(String(exp_year)))
      fail('card.exp_month and card.exp_year must be numbers.')
    if (typeof cvc !== 'string' || !/^\d{3,4}$/.test(cvc)) fail('card.cvc must be 3 or 4 digits.')
  }
  if (options.stripeApiBase !== undefined) {
    let url: URL | undefined
    try {
      url = new URL(options.stripeApiBase)
    } catch {
      url = undefined
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
      fail(`stripeApiBase must be an http(s) URL, got "${options.stripeApiBase}".`)
    // Card numbers go there: over plain HTTP only to this machine (the emulator, a local mock), as payment headers.
    if (url && options.allowInsecureHttp !== true && !mayCarryPayment(url.origin)) {
      fail(
        `stripeApiBase ${url.origin} is plain HTTP: card details go only over HTTPS or to loopback hosts (set allowInsecureHttp for development).`,
      )
    }
  }
  // Timers overflow past 2^31 - 1 ms and fire at once: a wait that long would silently become none.
  if (
    options.topUpWaitMs !== undefined &&
    (!Number.isSafeInteger(options.topUpWaitMs) ||
      options.topUpWaitMs <= 0 ||
      options.topUpWaitMs > 2_147_483_647)
  ) {
    fail(
      `topUpWaitMs must be a whole number of milliseconds from 1 to 2147483647, got ${String(options.topUpWaitMs)}.`,
    )
  }
  if (
    policy.onPublishableKeyChange !== undefined &&
    policy.onPublishableKeyChange !== 'warn' &&
    policy.onPublishableKeyChange !== 'refuse'
  ) {
    fail(
      `policy.onPublishableKeyChange must be 'warn' or 'refuse', got ${String(policy.onPublishableKeyChange)}.`,
    )
  }
  if (options.fetch === undefined && typeof globalThis.fetch !== 'function')
    fail('No global fetch here; pass options.fetch.')
}
