/** The price list served at `GET /.well-known/stripe402`: what every paid route costs, machine-readable. */
import { type DiscoveryDocument, type DiscoveryRoute, STRIPE402_VERSION } from '@stripe402/protocol'
import type { ResolvedConfig } from '../config/resolve'

/** The discovery document, as the protocol defines it (`DiscoveryDocumentSchema`). */
export type PriceList = DiscoveryDocument
export type PriceListRoute = DiscoveryRoute

export function priceList(config: ResolvedConfig): PriceList {
  return {
    stripe402Version: STRIPE402_VERSION,
    publishableKey: config.stripe.publishableKey,
    extensions: [...config.extensions],
    routes: config.routes.declared.map(({ pattern, value: route }) => ({
      method: pattern.method ?? '*',
      path: pattern.path,
      amount: typeof route.amount === 'number' ? route.amount : 'dynamic',
      currency: route.currency,
      minTopUp: route.minTopUp,
      ...(route.maxTopUp !== undefined && { maxTopUp: route.maxTopUp }),
      ...(route.description !== undefined && { description: route.description }),
      ...(route.mimeType !== undefined && { mimeType: route.mimeType }),
    })),
  }
}
