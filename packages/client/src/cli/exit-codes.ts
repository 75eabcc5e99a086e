/** Exit codes of `stripe402`, distinct so a shell or an agent can branch on what happened. */
export const EXIT = {
  OK: 0,
  /** Bad usage, a network error, anything else. */
  OTHER: 1,
  /** The policy refused to pay (price, top-up, budget, origin). Nothing was charged. */
  REFUSED: 2,
  /** Stripe or the server refused the payment (declined card…). Nothing was charged. */
  PAYMENT_FAILED: 3,
  /** The API answered with an HTTP error (not a payment question). */
  HTTP_ERROR: 4,
} as const
