/** @stripe402/stripe-emulator: a stateful local Stripe API that the official SDK can be pointed at. */
export {
  startStripeEmulator,
  DEFAULT_ACCOUNT,
  type StripeEmulator,
  type StripeEmulatorOptions,
  type EmulatedCharge,
  type EmulatedPaymentIntent,
  type RequestLogEntry,
} from './emulator'
export {
  TEST_CARDS,
  AUTHENTICATION_REQUIRED,
  testCardByNumber,
  type TestCard,
  type TestCardName,
  type CardBrand,
  type CardFunding,
  type CardDecline,
  type ChargeOutcome,
  type AuthenticationRule,
} from './cards/table'
export { magicPaymentMethodIds } from './cards/magic'
export { testCardParams, expectedFingerprint } from './cards/test-params'
export {
  MINIMUM_CHARGE_AMOUNTS,
  MAXIMUM_CHARGE_AMOUNT,
  ZERO_DECIMAL_CURRENCIES,
  THREE_DECIMAL_CURRENCIES,
  SUPPORTED_CURRENCIES,
} from './currencies'
export { DEFAULT_WEBHOOK_EVENTS, EMITTED_EVENT_TYPES } from './webhooks/events'
export {
  KNOWN_STRIPE_API_VERSIONS,
  STRIPE_API_VERSION,
  type StripeApiVersion,
} from './http/versions'
export { signWebhookPayload } from './webhooks/signature'
export {
  DEFAULT_RETRY_POLICY,
  type WebhookEndpoint,
  type WebhookDelivery,
  type WebhookRetryPolicy,
} from './webhooks/dispatcher'
export { IDEMPOTENCY_TTL_MS } from './http/idempotency'
export type { FaultSpec } from './http/faults'
export { DISPUTE_DELAY_MS } from './api/payment-flow'

/** `sk_test_emulator`: the secret key of the default account. */
export const DEFAULT_SECRET_KEY = 'sk_test_emulator'
/** `pk_test_emulator`: the publishable key of the default account. */
export const DEFAULT_PUBLISHABLE_KEY = 'pk_test_emulator'
