/** `startStripeEmulator()`: a running emulator with its test controls (reset, faults, what was charged, webhooks). */
import type { AddressInfo } from 'node:net'
import { completeAuthentication } from './api/payment-flow'
import { closeDispute, openDispute } from './api/disputes'
import { failRefund } from './api/refunds'
import { Core } from './core'
import { FaultRegistry, type FaultSpec } from './http/faults'
import { createApiServer, type RequestLogEntry } from './http/server'
import type { Account } from './state'
import {
  DEFAULT_RETRY_POLICY,
  WebhookDispatcher,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookRetryPolicy,
} from './webhooks/dispatcher'
import type { DisputeReason } from './objects/dispute'

/** The account of `sk_test_emulator` / `pk_test_emulator`, used when none is named. */
export const DEFAULT_ACCOUNT = 'emulator'

export interface StripeEmulatorOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number
  /** Interface to listen on; default 127.0.0.1. */
  host?: string
  /** Webhook endpoints receiving signed events from the start. */
  webhooks?: WebhookEndpoint[]
  /** Latency added to every request, in milliseconds. */
  latencyMs?: number
  /** Webhook retry schedule; defaults to 6 attempts, 50 ms doubling, 2 s per attempt. */
  webhookRetry?: Partial<WebhookRetryPolicy>
  /** Most requests kept in the request log (default 100,000); the oldest are dropped first. */
  requestLogLimit?: number
}

/** A charge as the emulator recorded it, for assertions. */
export interface EmulatedCharge {
  id: string
  account: string
  amount: number
  currency: string
  status: 'succeeded' | 'failed' | 'pending'
  payment_intent: string | null
  customer: string | null
  payment_method: string
  /** The card fingerprint (same card, same account → same value). */
  fingerprint: string
  metadata: Record<string, string>
  refunded: boolean
  amount_refunded: number
  disputed: boolean
  failure_code: string | null
  created: number
}

export interface EmulatedPaymentIntent {
  id: string
  account: string
  amount: number
  currency: string
  status: string
  customer: string | null
  payment_method: string | null
  latest_charge: string | null
  amount_received: number
  metadata: Record<string, string>
  description: string | null
  /** `last_payment_error.code`, when the last attempt failed. */
  last_payment_error_code: string | null
  created: number
}

export type { RequestLogEntry }

export interface StripeEmulator {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string
  host: string
  port: number
  close(): Promise<void>
  /**
   * Forgets all state: objects, idempotency keys, events, faults, the request log and webhook deliveries.
   * Webhook endpoints go back to the ones given at start (those added with addWebhook are dropped).
   */
  reset(): void
  /** Config for `new Stripe(secretKey, emu.sdkConfig())`. */
  sdkConfig(): { host: string; port: number; protocol: 'http' }
  /** The keys of an account: `sk_test_<account>` and `pk_test_<account>`. */
  keys(account?: string): { secretKey: string; publishableKey: string }
  /** Charges made, oldest first. */
  charges(filter?: { account?: string; status?: string }): EmulatedCharge[]
  paymentIntents(filter?: { account?: string }): EmulatedPaymentIntent[]
  /** Requests received, oldest first. A string `path` matches exactly, a RegExp is tested. */
  requests(filter?: {
    method?: string
    path?: string | RegExp
    account?: string
  }): RequestLogEntry[]
  /** Adds a fault for the next matching requests (see FaultSpec). */
  inject(fault: FaultSpec): void
  clearFaults(): void
  addWebhook(endpoint: WebhookEndpoint): void
  webhookDeliveries(): WebhookDelivery[]
  /**
   * Opens a dispute on a succeeded charge now (emits `charge.dispute.created`) and returns its id.
   * With `inquiry`, it is an inquiry (`warning_needs_response`): no money is taken yet.
   */
  dispute(
    chargeId: string,
    options?: { reason?: DisputeReason; inquiry?: boolean },
  ): Promise<string>
  /** Closes a dispute: a chargeback `won` or `lost`, an inquiry `warning_closed` (emits `charge.dispute.closed`). */
  closeDispute(disputeId: string, outcome: 'won' | 'lost'): Promise<void>
  /** Makes a refund fail (or be canceled) after the fact: its amount returns to the merchant (emits `charge.refund.updated`). */
  failRefund(refundId: string, outcome?: 'failed' | 'canceled'): Promise<void>
  /** Completes the 3-D Secure step of a `requires_action` PaymentIntent, successfully or not. */
  authenticate(paymentIntentId: string, outcome?: 'succeed' | 'fail'): Promise<void>
  /** Resolves when pending disputes have opened and every webhook delivery was delivered or gave up. */
  flushWebhooks(): Promise<void>
}

/** Letters, digits and `_`, as in Stripe's own keys: clients and the conformance suite refuse a `pk_…` with other characters. */
const ACCOUNT_NAME = /^[A-Za-z0-9_]{1,200}$/

function connectHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1'
  if (host === '::') return '::1'
  return host
}

export async function startStripeEmulator(
  options: StripeEmulatorOptions = {},
): Promise<StripeEmulator> {
  const host = options.host ?? '127.0.0.1'
  const dispatcher = new WebhookDispatcher(options.webhooks ?? [], {
    ...DEFAULT_RETRY_POLICY,
    ...options.webhookRetry,
  })
  const core = new Core(dispatcher)
  const faults = new FaultRegistry()
  const log: RequestLogEntry[] = []
  const deps = {
    core,
    faults,
    log,
    latencyMs: options.latencyMs ?? 0,
    logLimit: options.requestLogLimit ?? 100_000,
  }
  const api = createApiServer(deps)

  await new Promise<void>((resolve, reject) => {
    api.server.once('error', reject)
    api.server.listen(options.port ?? 0, host, () => {
      api.server.off('error', reject)
      resolve()
    })
  })
  const port = (api.server.address() as AddressInfo).port
  const reachable = connectHost(host)
  const url = `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`
  core.baseUrl = url

  const accountsMatching = (account?: string): Account[] =>
    [...core.accounts.values()].filter((a) => account === undefined || a.id === account)

  /** What `get` finds in whichever account holds it, with that account; `missing` names it in the error otherwise. */
  function inAnyAccount<T>(
    get: (account: Account) => T | undefined,
    missing: string,
  ): { account: Account; found: T } {
    for (const account of core.accounts.values()) {
      const found = get(account)
      if (found) return { account, found }
    }
    throw new Error(`No ${missing} in any account of the emulator`)
  }

  let closed: Promise<void> | undefined

  return {
    url,
    host: reachable,
    port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        core.stop()
        api.destroyHanging()
        api.server.close(() => resolve())
        api.server.closeAllConnections()
      })
      return closed
    },
    reset() {
      core.reset()
      faults.clear()
      deps.log = []
    },
    sdkConfig: () => ({ host: reachable, port, protocol: 'http' as const }),
    keys(account = DEFAULT_ACCOUNT) {
      if (!ACCOUNT_NAME.test(account))
        throw new Error(`Account names are letters, digits and _: got ${JSON.stringify(account)}`)
      return { secretKey: `sk_test_${account}`, publishableKey: `pk_test_${account}` }
    },
    charges(filter = {}) {
      return accountsMatching(filter.account)
        .flatMap((account) =>
          [...account.charges.values()].map(
            (c): EmulatedCharge => ({
              id: c.id,
              account: account.id,
              amount: c.amount,
              currency: c.currency,
              status: c.status,
              payment_intent: c.payment_intent,
              customer: c.customer,
              payment_method: c.payment_method,
              fingerprint: c.payment_method_details.card.fingerprint,
              metadata: { ...c.metadata },
              refunded: c.refunded,
              amount_refunded: c.amount_refunded,
              disputed: c.disputed,
              failure_code: c.failure_code,
              created: c.created,
            }),
          ),
        )
        .filter((c) => filter.status === undefined || c.status === filter.status)
        .sort((a, b) => a.created - b.created)
    },
    paymentIntents(filter = {}) {
      return accountsMatching(filter.account)
        .flatMap((account) =>
          [...account.paymentIntents.values()].map(
            (pi): EmulatedPaymentIntent => ({
              id: pi.id,
              account: account.id,
              amount: pi.amount,
              currency: pi.currency,
              status: pi.status,
              customer: pi.customer,
              payment_method: pi.payment_method,
              latest_charge: pi.latest_charge,
              amount_received: pi.amount_received,
              metadata: { ...pi.metadata },
              description: pi.description,
              last_payment_error_code: pi.last_payment_error?.code ?? null,
              created: pi.created,
            }),
          ),
        )
        .sort((a, b) => a.created - b.created)
    },
    requests(filter = {}) {
      return deps.log
        .filter(
          (e) =>
            (filter.method === undefined || e.method === filter.method.toUpperCase()) &&
            (filter.path === undefined ||
              (typeof filter.path === 'string'
                ? e.path === filter.path
                : filter.path.test(e.path))) &&
            (filter.account === undefined || e.account === filter.account),
        )
        .map((e) => ({ ...e }))
    },
    inject: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    addWebhook: (endpoint) => dispatcher.addEndpoint(endpoint),
    webhookDeliveries: () => dispatcher.list(),
    async dispute(chargeId, disputeOptions = {}) {
      const { account, found: charge } = inAnyAccount(
        (a) => a.charges.get(chargeId),
        `charge ${chargeId}`,
      )
      return openDispute(
        core,
        account,
        charge,
        disputeOptions.reason ?? 'fraudulent',
        disputeOptions.inquiry ? 'warning_needs_response' : 'needs_response',
      ).id
    },
    async closeDispute(disputeId, outcome) {
      const { account, found: dispute } = inAnyAccount(
        (a) => a.disputes.get(disputeId),
        `dispute ${disputeId}`,
      )
      closeDispute(core, account, dispute, outcome)
    },
    async failRefund(refundId, outcome = 'failed') {
      const { account, found: refund } = inAnyAccount(
        (a) => a.refunds.get(refundId),
        `refund ${refundId}`,
      )
      failRefund(core, account, refund, outcome)
    },
    async authenticate(paymentIntentId, outcome = 'succeed') {
      const { account, found: pi } = inAnyAccount(
        (a) => a.paymentIntents.get(paymentIntentId),
        `PaymentIntent ${paymentIntentId}`,
      )
      completeAuthentication(
        { core, account, request: { id: null, idempotency_key: null } },
        pi,
        outcome === 'succeed',
      )
    },
    flushWebhooks: () => core.settle(),
  }
}
