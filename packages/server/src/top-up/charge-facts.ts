/** What a top-up's charge is known to carry (refunds, disputes), passed down so Stripe is not asked twice. */
import type Stripe from 'stripe'

/** What is already known about the PaymentIntent's charge (read from Stripe as it is now), so it is not fetched again. */
export interface ChargeFacts {
  charge?: Stripe.Charge
  /** The refunds to apply; when absent, the charge's are listed if it shows any. */
  refunds?: Stripe.Refund[]
  /** The disputes to apply; when absent, the charge's are listed if it is disputed. */
  disputes?: Stripe.Dispute[]
}
