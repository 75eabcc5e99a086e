/** The REST subset the emulator speaks: method + path pattern → handler, and which routes a publishable key may call. */
import * as charges from '../api/charges'
import type { Handler } from '../api/context'
import * as customers from '../api/customers'
import * as disputes from '../api/disputes'
import * as events from '../api/events'
import * as intents from '../api/payment-intents'
import * as methods from '../api/payment-methods'
import * as refunds from '../api/refunds'
import * as tokens from '../api/tokens'

export interface Route {
  method: 'GET' | 'POST' | 'DELETE'
  pattern: RegExp
  names: string[]
  handler: Handler
  /** Callable with a publishable key: only tokenization, as on Stripe. */
  publishable: boolean
}

function route(
  method: Route['method'],
  path: string,
  handler: Handler,
  publishable = false,
): Route {
  const names: string[] = []
  const source = path.replace(/:([a-z]+)/g, (_, name: string) => {
    names.push(name)
    return '([^/]+)'
  })
  return { method, pattern: new RegExp(`^${source}$`), names, handler, publishable }
}

export const ROUTES: readonly Route[] = [
  route('POST', '/v1/payment_methods', methods.createPaymentMethod, true),
  route('GET', '/v1/payment_methods', methods.listPaymentMethods),
  route('GET', '/v1/payment_methods/:id', methods.retrievePaymentMethod),
  route('POST', '/v1/payment_methods/:id', methods.updatePaymentMethod),
  route('POST', '/v1/payment_methods/:id/attach', methods.attachPaymentMethodRoute),
  route('POST', '/v1/payment_methods/:id/detach', methods.detachPaymentMethod),
  route('POST', '/v1/tokens', tokens.createToken, true),
  route('GET', '/v1/tokens/:id', tokens.retrieveToken),
  route('POST', '/v1/customers', customers.createCustomer),
  route('GET', '/v1/customers', customers.listCustomers),
  route('GET', '/v1/customers/search', customers.searchCustomers),
  route('GET', '/v1/customers/:id', customers.retrieveCustomer),
  route('POST', '/v1/customers/:id', customers.updateCustomer),
  route('DELETE', '/v1/customers/:id', customers.deleteCustomer),
  route('GET', '/v1/customers/:id/payment_methods', methods.listCustomerPaymentMethods),
  route('POST', '/v1/payment_intents', intents.createPaymentIntent),
  route('GET', '/v1/payment_intents', intents.listPaymentIntents),
  route('GET', '/v1/payment_intents/search', intents.searchPaymentIntents),
  route('GET', '/v1/payment_intents/:id', intents.retrievePaymentIntent),
  route('POST', '/v1/payment_intents/:id', intents.updatePaymentIntent),
  route('POST', '/v1/payment_intents/:id/confirm', intents.confirmPaymentIntent),
  route('POST', '/v1/payment_intents/:id/cancel', intents.cancelPaymentIntent),
  route('POST', '/v1/refunds', refunds.createRefund),
  route('GET', '/v1/refunds', refunds.listRefunds),
  route('GET', '/v1/refunds/:id', refunds.retrieveRefund),
  route('GET', '/v1/charges', charges.listCharges),
  route('GET', '/v1/charges/search', charges.searchCharges),
  route('GET', '/v1/charges/:id', charges.retrieveCharge),
  route('GET', '/v1/disputes', disputes.listDisputes),
  route('GET', '/v1/disputes/:id', disputes.retrieveDispute),
  route('GET', '/v1/events', events.listEvents),
  route('GET', '/v1/events/:id', events.retrieveEvent),
]

export function matchRoute(
  method: string,
  path: string,
): { route: Route; path: Record<string, string> } | undefined {
  for (const candidate of ROUTES) {
    if (candidate.method !== method) continue
    const match = candidate.pattern.exec(path)
    if (!match) continue
    const params: Record<string, string> = {}
    candidate.names.forEach((name, i) => {
      const raw = match[i + 1] as string
      try {
        params[name] = decodeURIComponent(raw)
      } catch {
        params[name] = raw
      }
    })
    return { route: candidate, path: params }
  }
  return undefined
}
