/** `createPaywall`: validates the config once and returns the engine every adapter drives. */
import { MAX_UNITS } from '@stripe402/protocol'
import type { OpenAPIObject } from 'openapi3-ts/oas31'
import { Stripe402ConfigError } from './config/errors'
import { type ResolvedConfig, resolveConfig } from './config/resolve'
import type { PaywallConfig } from './config/schema'
import { parseClientId } from './credentials'
import { openApiDocument } from './discovery/openapi'
import { type PriceList, priceList } from './discovery/price-list'
import { createEmitter, type PaywallEvent, referencingLogger } from './events'
import { begin } from './request/begin'
import { publicAccountId } from './identity'
import type { Engine } from './engine'
import { DoubtfulDebits, type RepairResult } from './ledger-calls/doubt'
import { HeldDebitSettler } from './ledger-calls/held-debits'
import type { BeginOptions, PaywallRequest } from './http/request'
import { CHALLENGE_SPARE_BYTES, challengeSpareBytes, type PaywallResponse } from './http/responses'
import type { PaywallOutcome } from './outcome'
import { AbuseGuard } from './rate-limit'
import { reconcile, type ReconcileOptions, type ReconcileResult } from './reconcile'
import { createStripeGateway } from './stripe/gateway'
import { handleWebhook } from './webhooks'

export interface Paywall {
  /** Decides what to do with a request; never rejects. */
  begin(request: PaywallRequest, options?: BeginOptions): Promise<PaywallOutcome>
  /** Verifies and applies a Stripe webhook, for apps that mount the endpoint themselves. */
  handleWebhook(
    rawBody: string | Uint8Array,
    signatureHeader: string | null | undefined,
  ): Promise<PaywallResponse>
  /**
   * Credits succeeded top-ups the ledger is missing (after a crash between charge and credit).
   * Runs `repair()` first.
   */
  reconcile(options?: ReconcileOptions): Promise<ReconcileResult>
  /**
   * Settles, now, what timers otherwise settle by themselves: writes queued confirmations and
   * reversals of paid calls; gives back debits whose ledger call failed (each answered 503) if the
   * ledger applied them (once), forgetting those it never applied once they can no longer land;
   * and gives back held debits past their deadline that no instance settled (a killed process's).
   * Never rejects.
   */
  repair(): Promise<RepairResult>
  /**
   * Stops the timers after writing what is queued and a last repair pass (graceful shutdown).
   * Debits still unsettled stay held in the ledger, and any instance's sweep gives them back after
   * their deadline. Neither the ledger nor anything else is closed.
   */
  close(): Promise<void>
  /**
   * Revokes a credential at once, on every instance sharing the ledger. In `account` mode a
   * clientId is the account itself, so revoking it freezes the account. True when it took effect.
   */
  revoke(clientId: string): Promise<boolean>
  /** The document served at `GET /.well-known/stripe402`. */
  priceList(): PriceList
  /** An OpenAPI 3.1 fragment of every paid operation. */
  openapi(): OpenAPIObject
  /** Balance behind a clientId (token or account id) in units, or null when it is not one. Default currency: the first route's. */
  balance(clientId: string, currency?: string): Promise<number | null>
}

/** Settles what can be settled now: queued settlements of held debits, debits in doubt, held debits past their deadline. */
async function repair(engine: Engine): Promise<RepairResult> {
  await engine.settler.flush()
  const result = await engine.doubts.repair()
  const { expired } = await engine.settler.sweep()
  return { ...result, expired }
}

/** Throws `Stripe402ConfigError` naming the field when the config is unusable. */
export function createPaywall(config: PaywallConfig): Paywall {
  const resolved = resolveConfig(config)
  checkChallengeSizes(resolved)
  const { ledger } = resolved
  // In account mode the account id spends: events and logs name the account by a reference.
  const publicId = (accountId: string) => publicAccountId(resolved, accountId)
  const logger = referencingLogger(resolved.logger, publicId)
  const onEvent = resolved.onEvent
  const emit = createEmitter(
    onEvent &&
      ((event) =>
        onEvent(
          'accountId' in event
            ? ({ ...event, accountId: publicId(event.accountId) } as PaywallEvent)
            : event,
        )),
    logger,
  )
  const engine: Engine = {
    config: resolved,
    ledger,
    gateway: createStripeGateway(resolved.stripe),
    guard: new AbuseGuard(ledger, resolved.rateLimits),
    emit,
    logger,
    begun: new WeakSet(),
    warned: new Set(),
    doubts: new DoubtfulDebits({ ledger, emit, logger }),
    settler: new HeldDebitSettler({ ledger, emit, logger }, resolved.holds),
  }
  const defaultCurrency = resolved.routes.declared[0]?.value.currency ?? 'usd'
  const list = priceList(resolved)

  return {
    begin: (request, options) => begin(engine, request, options),
    handleWebhook: (rawBody, signatureHeader) => handleWebhook(engine, rawBody, signatureHeader),
    async reconcile(options) {
      await repair(engine)
      return reconcile(engine, options)
    },
    repair: () => repair(engine),
    async close() {
      await engine.settler.close()
      await engine.doubts.close()
    },
    async revoke(clientId) {
      const parsed = typeof clientId === 'string' ? parseClientId(clientId, 'account') : null
      if (!parsed) return false
      let revoked: boolean
      if (parsed.kind === 'token') {
        revoked = await engine.ledger.revokeCredential(parsed.credentialHash)
      } else if (resolved.credentials === 'account') {
        await engine.ledger.setFrozen(parsed.accountId, true)
        revoked = true
      } else {
        // In token mode an account id is not a credential: there is nothing to revoke.
        revoked = false
      }
      engine.emit({ type: 'revoke', accountId: parsed.accountId, revoked })
      return revoked
    },
    priceList: () => structuredClone(list),
    openapi: () => openApiDocument(resolved),
    async balance(clientId, currency = defaultCurrency) {
      const parsed = typeof clientId === 'string' ? parseClientId(clientId, 'account') : null
      return parsed ? engine.ledger.balance(parsed.accountId, currency.toLowerCase()) : null
    },
  }
}

/**
 * A challenge header peers accept is at most 8 KiB. The URL and message are cut to fit at
 * request time; a route whose own fields (description twice, mimeType) leave no room for them
 * would otherwise answer every unpaid request with a 500, so it is refused here instead.
 */
function checkChallengeSizes(resolved: ResolvedConfig): void {
  for (const { value: route } of resolved.routes.declared) {
    const spare = challengeSpareBytes({
      amount: MAX_UNITS,
      currency: route.currency,
      minTopUp: MAX_UNITS,
      ...(route.maxTopUp !== undefined && { maxTopUp: MAX_UNITS }),
      publishableKey: resolved.stripe.publishableKey,
      ...(route.description !== undefined && { description: route.description }),
      ...(route.mimeType !== undefined && { mimeType: route.mimeType }),
    })
    if (spare < CHALLENGE_SPARE_BYTES) {
      throw new Stripe402ConfigError(
        `routes[${JSON.stringify(route.key)}].description`,
        `the 402 challenge would leave ${Math.max(spare, 0)} bytes for the URL and message, below the ${CHALLENGE_SPARE_BYTES} needed to stay within the 8 KiB header limit; the description is sent twice, as UTF-8: shorten it (or mimeType)`,
      )
    }
  }
}
