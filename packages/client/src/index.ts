/** @stripe402/client: a fetch that pays stripe402 APIs by itself, inside a budget. Runs in Node 20, browsers and edge runtimes. */
export { createPayingFetch, type PayingFetch } from './paying-fetch'
export { getPaymentInfo, type PaymentInfo, type PaymentOutcome } from './payment-info'
export {
  createTreasuryFetch,
  getTreasuryInfo,
  type TreasuryAccount,
  type TreasuryFetch,
  type TreasuryFetchOptions,
  type TreasuryInfo,
} from './treasury'
export { type ClientErrorCode, Stripe402ClientError } from './errors'
export type {
  ChallengeEvent,
  CredentialDroppedEvent,
  PaidEvent,
  PaymentEvent,
  PaymentFailedEvent,
  PublishableKeyChangedEvent,
  RefusalReason,
  RefusedEvent,
  StoreErrorEvent,
  TokenizedEvent,
  TopUpEvent,
} from './events'
export type {
  ApprovalContext,
  Card,
  PayingFetchOptions,
  PerCurrency,
  Policy,
  SpentTotals,
  TopUpContext,
} from './options'
export type { ClientStore } from './store/types'
export { createMemoryStore } from './store/memory'
export type {
  Credential,
  JournalEntry,
  OriginRecord,
  OriginStats,
  WalletSnapshot,
} from './wallet/snapshot'
export type { WalletOrigin, WalletView } from './wallet/view'
export { DEFAULT_STRIPE_API_BASE } from './stripe/tokenize'
