/** Which account and currency a PaymentIntent tops up, read from the metadata this paywall wrote on it. */
import { isSupportedCurrency } from '@stripe402/protocol'
import type Stripe from 'stripe'
import { isAccountId } from '../identity'
import { METADATA } from '../stripe/gateway'
import { openAccountId } from '../stripe/sealed-account'
import type { Engine } from '../engine'

export interface TopUpTarget {
  accountId: string
  currency: string
}

/**
 * The account and currency a PaymentIntent (or a charge with the same metadata) tops up, or
 * null when it is not a top-up of this paywall: another deployment on the same Stripe account,
 * or no stripe402 metadata at all.
 */
export function topUpTarget(
  engine: Pick<Engine, 'config'>,
  object: Pick<Stripe.PaymentIntent, 'metadata' | 'currency'>,
): TopUpTarget | null {
  const paywall = object.metadata?.[METADATA.PAYWALL]
  if (!paywall || !engine.config.paywallIds.has(paywall)) return null
  const stored = object.metadata?.[METADATA.ACCOUNT]
  const accountId = stored ? openAccountId(engine.config.secrets, stored) : null
  const currency = object.metadata?.[METADATA.CURRENCY] ?? object.currency
  if (!accountId || !isAccountId(accountId)) return null
  if (currency !== object.currency || !isSupportedCurrency(currency)) return null
  return { accountId, currency }
}
