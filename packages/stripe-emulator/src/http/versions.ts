/** Stripe API versions the emulator answers for, and what changes between them. */

/**
 * Every version pinned by an official `stripe` SDK release from 18.5 to 23.2, oldest first.
 * Stripe refuses a `Stripe-Version` it does not know; so does the emulator, naming these.
 */
export const KNOWN_STRIPE_API_VERSIONS = [
  '2025-08-27.basil',
  '2025-09-30.clover',
  '2025-10-29.clover',
  '2025-11-17.clover',
  '2025-12-15.clover',
  '2026-01-28.clover',
  '2026-02-25.clover',
  '2026-03-25.dahlia',
  '2026-04-22.dahlia',
  '2026-05-27.dahlia',
  '2026-06-24.dahlia',
  '2026-07-29.dahlia',
  '2026-08-26.dahlia',
  '2026-09-30.endive',
  '2026-10-28.endive',
  '2026-11-18.endive',
] as const

export type StripeApiVersion = (typeof KNOWN_STRIPE_API_VERSIONS)[number]

/** The newest known version: what a request without `Stripe-Version` gets, and what events carry. */
export const STRIPE_API_VERSION: StripeApiVersion = '2026-11-18.endive'

/** Named versions, so that code says which change it follows rather than comparing dates. */
export const VERSION_CHANGES = {
  /** `payment_method_types` on PaymentIntent create, confirm and update gives way to `allowed_payment_method_types`. */
  allowedPaymentMethodTypes: '2026-09-30.endive',
} as const satisfies Record<string, StripeApiVersion>

export function isKnownVersion(version: string): version is StripeApiVersion {
  return (KNOWN_STRIPE_API_VERSIONS as readonly string[]).includes(version)
}

/** Whether `version` includes the change introduced in `since` (versions sort by their date). */
export function atLeast(version: StripeApiVersion, since: StripeApiVersion): boolean {
  return version >= since
}
