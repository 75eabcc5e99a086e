/** The card-testing limits by name, shared by the guard that counts them and the events that report them. */
export type LimitName =
  | 'failed_payments_per_address'
  | 'failed_payments_per_card'
  | 'top_ups_per_account'
