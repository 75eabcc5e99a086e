/** @stripe402/server: the stripe402 engine. Adapters drive `createPaywall(config).begin(request)`. */
export { createPaywall, type Paywall } from './paywall'
export type {
  CorsConfig,
  PaywallConfig,
  RouteConfig,
  PriceFunction,
  RateLimit,
  RateLimitsConfig,
} from './config/schema'
export { Stripe402ConfigError } from './config/errors'
export type { PaywallEvent, PaywallLogger, ErrorStage } from './events'
export type { BeginOptions, PaywallRequest, PricingRequest } from './http/request'
export type {
  DenyOutcome,
  FreeOutcome,
  PaidOutcome,
  PaymentReceipt,
  PaywallOutcome,
  PaywallResponse,
  RespondOutcome,
  WebhookOutcome,
} from './outcome'
export type { PriceList, PriceListRoute } from './discovery/price-list'
export type { ReconcileOptions, ReconcileResult } from './reconcile'
export type { RepairResult } from './ledger-calls/doubt'
export { normalizePath, type NormalizedPath, type NormalizeOptions } from './routes/normalize'
export {
  compileRoutes,
  matchRoute,
  type CompiledRoute,
  type RouteMatch,
  type RouteTable,
} from './routes/match'
export type { RoutePattern } from './routes/pattern'
export {
  keepHeadersPrivate,
  keepNodeResponsePrivate,
  PAID_CACHE_CONTROL,
} from './http/private-response'
export { startPaidNodeResponse, type NodePaidResponse } from './http/node-response'
export { accountIdFor } from './identity'
export { hashCredential } from './credentials'
export * from './ledger'
