/** Typed events the paywall reports to `onEvent`, and the logger it writes to. None carries a secret. */
import type { LimitName } from './limit-name'
import { redact } from './redact'

/** Where an operational error happened. */
export type ErrorStage =
  | 'ledger'
  | 'stripe'
  | 'pricing'
  | 'settle'
  | 'webhook'
  | 'reconcile'
  | 'internal'

/**
 * Everything worth counting or alerting on. Account ids are HMACs of card fingerprints and
 * safe to log; credentials, card data and PaymentMethod ids never appear here.
 */
export type PaywallEvent =
  /** A plain 402 challenge: the request carried no payment. */
  | {
      type: 'challenge'
      method: string
      path: string
      route: string
      amount: number
      currency: string
    }
  /** Any other refusal (402 with an error code, 4xx, 429, 503). */
  | { type: 'deny'; status: number; code: string; method: string; path: string; route?: string }
  /** Credits spent on a request. `via`: a credential, a v1 account id, or the card itself. */
  | {
      type: 'debit'
      accountId: string
      currency: string
      units: number
      balance: number
      route: string
      via: 'credential' | 'account' | 'card'
    }
  /** A top-up credited (`applied: false` when that PaymentIntent had already been credited). */
  | {
      type: 'top_up'
      accountId: string
      currency: string
      units: number
      paymentIntentId: string
      source: 'request' | 'webhook' | 'reconcile'
      applied: boolean
    }
  /** A debit given back because the handler failed. */
  | { type: 'reversal'; accountId: string; currency: string; units: number; status: number }
  /**
   * A debit whose ledger call failed (answered 503), settled once the ledger answered again:
   * `reversed` when the ledger had applied it (it is credited back, a `reversal` keyed by its ref),
   * `not_debited` when it never was, `dropped` when the ledger answered its lookup with an error
   * that asking again would repeat (logged with the ref, to settle by hand); `expired` when a held
   * debit was still unsettled at its deadline (its process died, or lost the ledger for the whole
   * hold) and a sweep gave it back. `ref` is the debit's journal reference.
   */
  | {
      type: 'debit_repair'
      accountId: string
      currency: string
      units: number
      ref: string
      outcome: 'reversed' | 'not_debited' | 'dropped' | 'expired'
    }
  | {
      type: 'refund'
      accountId: string
      currency: string
      units: number
      refundId: string
      chargeId: string
    }
  | {
      type: 'dispute'
      accountId: string
      currency: string
      units: number
      disputeId: string
      chargeId: string
      frozen: boolean
    }
  /**
   * A refund or dispute whose money came back to the merchant (a refund that failed or was
   * canceled, a dispute won, an inquiry closed): what it took is credited back, once.
   * `unfrozen` when this also lifted the freeze the dispute had set.
   */
  | {
      type: 'clawback_reversed'
      accountId: string
      currency: string
      units: number
      source: 'refund' | 'dispute'
      stripeId: string
      chargeId: string
      unfrozen: boolean
    }
  | { type: 'credential_issued'; accountId: string }
  | { type: 'revoke'; accountId: string; revoked: boolean }
  /** An abuse limit answered 429. */
  | { type: 'rate_limited'; limit: LimitName; retryAfterSeconds: number }
  | { type: 'error'; stage: ErrorStage; code: string; message: string }

export interface PaywallLogger {
  warn(message: string, meta?: Record<string, unknown>): void
  error(message: string, meta?: Record<string, unknown>): void
}

/** A logger that names accounts by `reference(accountId)` in its `accountId` meta field. */
export function referencingLogger(
  logger: PaywallLogger,
  reference: (accountId: string) => string,
): PaywallLogger {
  const meta = (m?: Record<string, unknown>) =>
    m && typeof m.accountId === 'string' ? { ...m, accountId: reference(m.accountId) } : m
  return {
    warn: (message, m) => logger.warn(message, meta(m)),
    error: (message, m) => logger.error(message, meta(m)),
  }
}

export const consoleLogger: PaywallLogger = {
  warn: (message, meta) => console.warn(`[stripe402] ${message}`, meta ?? ''),
  error: (message, meta) => console.error(`[stripe402] ${message}`, meta ?? ''),
}

/**
 * The emitter of a paywall without `onEvent`: the hot path compares against it and skips building
 * an event nobody reads.
 */
export const SILENT = (_event: PaywallEvent): void => {}

/** Reports events without ever letting a listener's exception break a payment. */
export function createEmitter(
  onEvent: ((event: PaywallEvent) => void) | undefined,
  logger: PaywallLogger,
): (event: PaywallEvent) => void {
  if (!onEvent) return SILENT
  return (event: PaywallEvent): void => {
    try {
      onEvent(event)
    } catch (error) {
      logger.warn('onEvent listener threw; ignored', {
        eventType: event.type,
        error: errorMessage(error),
      })
    }
  }
}

export type Emit = ReturnType<typeof createEmitter>

/** A message safe to log: the error's own message, never its cause chain or request data. */
export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  return redact(text).slice(0, 500)
}
