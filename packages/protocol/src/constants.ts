/** Protocol constants: version, header names, limits. */

/** The protocol version this package speaks (and the only one it accepts). */
export const STRIPE402_VERSION = 1 as const

/** Header names, lower-case as HTTP/2 sends them. */
export const HEADERS = {
  PAYMENT_REQUIRED: 'payment-required',
  PAYMENT: 'payment',
  PAYMENT_RESPONSE: 'payment-response',
} as const

/** Optional payload fields beyond v1 that a server may announce in `PaymentRequired.extensions`. */
export const EXTENSIONS = {
  MAX_AMOUNT: 'maxAmount',
  IDEMPOTENCY_KEY: 'idempotencyKey',
} as const

/**
 * Origin binding of PaymentMethods (spec §7.4): a server that refuses PaymentMethods bound to
 * another origin announces `EXTENSION`; a client records the origin under `METADATA_KEY`.
 */
export const ORIGIN_BINDING = {
  EXTENSION: 'originBinding',
  METADATA_KEY: 'stripe402_origin',
} as const

/**
 * Largest amount in units any field may carry: 10^12 units is 100,000,000 in the major
 * unit, far above Stripe's largest charge, far below where integers stop being exact.
 */
export const MAX_UNITS = 1_000_000_000_000

/** Default cap on an encoded header, checked before any decoding work. */
export const DEFAULT_MAX_HEADER_BYTES = 8 * 1024

/** Nesting deeper than this is refused: no legitimate message comes close. */
export const MAX_JSON_DEPTH = 16
