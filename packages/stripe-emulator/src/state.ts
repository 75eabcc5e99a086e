/** Per-account state: every object the API created, kept in Maps (newest last, as inserted). */
import type { TestCard } from './cards/table'
import type { IdempotencyRecord } from './http/idempotency'
import type { Charge } from './objects/charge'
import type { Customer, DeletedCustomer } from './objects/customer'
import type { Dispute } from './objects/dispute'
import type { PaymentIntent } from './objects/payment-intent'
import type { PaymentMethod } from './objects/payment-method'
import type { Refund } from './objects/refund'
import type { Token } from './objects/token'
import type { StripeEvent } from './webhooks/events'

/** What the emulator knows about a card behind a PaymentMethod or token; never sent over the wire. */
export interface CardRecord {
  number: string
  cvcProvided: boolean
  /** The documented behaviour, when the number is one of Stripe's test cards. */
  testCard: TestCard | undefined
  /** Set once a payment with `setup_future_usage` was authenticated: later off-session payments need no 3-D Secure. */
  setUpForOffSession: boolean
}

/** Side data of a PaymentIntent that Stripe does not expose on the object. */
export interface IntentExtras {
  returnUrl: string | null
  offSession: boolean
  /** automatic_payment_methods was passed by the caller (not defaulted): then Stripe insists on return_url. */
  explicitAutomaticPaymentMethods: boolean
}

export class Account {
  readonly paymentMethods = new Map<string, PaymentMethod>()
  readonly customers = new Map<string, Customer | DeletedCustomer>()
  readonly paymentIntents = new Map<string, PaymentIntent>()
  readonly charges = new Map<string, Charge>()
  readonly refunds = new Map<string, Refund>()
  readonly disputes = new Map<string, Dispute>()
  readonly tokens = new Map<string, Token>()
  readonly events = new Map<string, StripeEvent>()
  /** Card data by PaymentMethod id and token id. */
  readonly cards = new Map<string, CardRecord>()
  /** PaymentMethods used once without a customer, or detached: Stripe refuses to use them again. */
  readonly consumedPaymentMethods = new Set<string>()
  readonly intentExtras = new Map<string, IntentExtras>()
  /** Idempotency records by key; scoped per account as on Stripe. */
  readonly idempotency = new Map<string, IdempotencyRecord>()

  constructor(readonly id: string) {}

  /** Any stored object by id, found through its prefix (used by `expand[]`). */
  lookup(id: string): object | undefined {
    const prefix = id.slice(0, id.indexOf('_'))
    switch (prefix) {
      case 'pm':
        return this.paymentMethods.get(id)
      case 'cus':
        return this.customers.get(id)
      case 'pi':
        return this.paymentIntents.get(id)
      case 'ch':
      case 'py':
        return this.charges.get(id)
      case 're':
        return this.refunds.get(id)
      case 'dp':
      case 'du':
        return this.disputes.get(id)
      case 'tok':
        return this.tokens.get(id)
      case 'evt':
        return this.events.get(id)
      default:
        return undefined
    }
  }
}
