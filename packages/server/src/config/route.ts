/** One route's options checked against Stripe's rules for its currency, with defaults filled in. */
import {
  chargeableUnits,
  isSupportedCurrency,
  MAX_UNITS,
  minimumTopUpUnits,
} from '@stripe402/protocol'
import { Stripe402ConfigError } from './errors'
import type { PriceFunction, RouteConfig } from './schema'

const DEFAULT_CURRENCY = 'usd'

/** A route with its defaults applied. */
export interface ResolvedRoute {
  key: string
  amount: number | PriceFunction
  currency: string
  minTopUp: number
  maxTopUp?: number
  description?: string
  mimeType?: string
}

/** Throws `Stripe402ConfigError` naming `routes[key].<option>`. */
export function resolveRoute(key: string, route: RouteConfig): ResolvedRoute {
  const field = (name: string) => `routes[${JSON.stringify(key)}].${name}`
  const currency = (route.currency ?? DEFAULT_CURRENCY).toLowerCase()
  if (!isSupportedCurrency(currency)) {
    throw new Stripe402ConfigError(
      field('currency'),
      `"${route.currency}" is not a currency stripe402 supports (it must know Stripe's minimum charge for it)`,
    )
  }
  const minimum = minimumTopUpUnits(currency)
  const staticAmount = typeof route.amount === 'number' ? route.amount : undefined
  if (staticAmount !== undefined && staticAmount > MAX_UNITS)
    throw new Stripe402ConfigError(field('amount'), `must be at most ${MAX_UNITS} units`)
  // A top-up is a real charge, so it is rounded up to what Stripe can charge in this currency.
  const minTopUp = route.minTopUp ?? chargeableUnits(Math.max(minimum, staticAmount ?? 0), currency)
  if (minTopUp < minimum) {
    throw new Stripe402ConfigError(
      field('minTopUp'),
      `${minTopUp} units is below Stripe's minimum charge for ${currency.toUpperCase()}; the minimum is ${minimum} units`,
    )
  }
  if (minTopUp > MAX_UNITS)
    throw new Stripe402ConfigError(field('minTopUp'), `must be at most ${MAX_UNITS} units`)
  if (route.maxTopUp !== undefined) {
    if (staticAmount !== undefined && staticAmount > route.maxTopUp) {
      throw new Stripe402ConfigError(
        field('amount'),
        `${staticAmount} is above maxTopUp (${route.maxTopUp}), so no top-up could ever pay for it`,
      )
    }
    if (route.maxTopUp < minTopUp)
      throw new Stripe402ConfigError(
        field('maxTopUp'),
        `${route.maxTopUp} is below minTopUp (${minTopUp})`,
      )
    if (route.maxTopUp > MAX_UNITS)
      throw new Stripe402ConfigError(field('maxTopUp'), `must be at most ${MAX_UNITS} units`)
  }
  return {
    key,
    amount: route.amount,
    currency,
    minTopUp,
    ...(route.maxTopUp !== undefined && { maxTopUp: route.maxTopUp }),
    ...(route.description !== undefined && { description: route.description }),
    ...(route.mimeType !== undefined && { mimeType: route.mimeType }),
  }
}
