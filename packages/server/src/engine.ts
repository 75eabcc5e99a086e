/** The engine's parts, built once by `createPaywall` and shared by requests, webhooks and reconcile. */
import type { ResolvedConfig } from './config/resolve'
import type { Emit, PaywallLogger } from './events'
import type { DoubtfulDebits } from './ledger-calls/doubt'
import type { HeldDebitSettler } from './ledger-calls/held-debits'
import type { Ledger } from './ledger/types'
import type { AbuseGuard } from './rate-limit'
import type { StripeGateway } from './stripe/gateway'

/** Built once by `createPaywall`. */
export interface Engine {
  config: ResolvedConfig
  ledger: Ledger
  gateway: StripeGateway
  guard: AbuseGuard
  emit: Emit
  logger: PaywallLogger
  /** Adapter request objects already begun: a paywall mounted twice on one request decides once. */
  begun: WeakSet<object>
  /** Warnings already logged, for those worth saying once per paywall rather than per request. */
  warned: Set<string>
  /** Debits whose ledger call failed without an answer, until the ledger says whether they were applied. */
  doubts: DoubtfulDebits
  /** Paid requests' debits, held from the debit until their answer's fate is written. */
  settler: HeldDebitSettler
}
