/** Stripe's documented test cards (https://docs.stripe.com/testing) and what each does when charged. */

export type CardBrand =
  | 'visa'
  | 'mastercard'
  | 'amex'
  | 'discover'
  | 'diners'
  | 'jcb'
  | 'unionpay'
  | 'unknown'
export type CardFunding = 'credit' | 'debit' | 'prepaid' | 'unknown'

/** A decline as Stripe reports it: `code` on the error, `decline_code` for card_declined and friends. */
export interface CardDecline {
  code: string
  declineCode: string
  message: string
  /** Parameter Stripe names in the error, e.g. `cvc` for incorrect_cvc. */
  param?: string
  /** Blocked by Radar before reaching the network (changes the charge's `outcome`). */
  blocked?: boolean
  /** Only declines when a CVC was given at tokenization (the Radar "CVC check failed" rule). */
  onlyWithCvc?: boolean
}

export type ChargeOutcome =
  | { type: 'success'; riskLevel?: 'normal' | 'elevated' }
  | { type: 'decline'; decline: CardDecline }
  | {
      type: 'dispute'
      reason: 'fraudulent' | 'product_not_received'
      status: 'needs_response' | 'warning_needs_response'
    }

/**
 * When 3-D Secure is demanded: `always` on every payment; `unless_set_up` unless the card was
 * authenticated earlier with `setup_future_usage`; `on_session` only when the customer is present.
 */
export type AuthenticationRule = 'always' | 'unless_set_up' | 'on_session'

export interface TestCard {
  number: string
  brand: CardBrand
  funding: CardFunding
  /** Issuing country (ISO 3166-1 alpha-2). */
  country: string
  description: string
  /** What happens once any authentication is done. */
  outcome: ChargeOutcome
  authentication?: AuthenticationRule
  /** Stripe's magic PaymentMethod id for this card, usable as `payment_method`. */
  paymentMethod?: string
  /** Stripe's magic token id for this card, usable as `card[token]`. */
  token?: string
}

const success: ChargeOutcome = { type: 'success' }

const DECLINES = {
  generic: {
    code: 'card_declined',
    declineCode: 'generic_decline',
    message: 'Your card was declined.',
  },
  insufficientFunds: {
    code: 'card_declined',
    declineCode: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
  lostCard: { code: 'card_declined', declineCode: 'lost_card', message: 'Your card was declined.' },
  stolenCard: {
    code: 'card_declined',
    declineCode: 'stolen_card',
    message: 'Your card was declined.',
  },
  expiredCard: {
    code: 'expired_card',
    declineCode: 'expired_card',
    message: 'Your card has expired.',
    param: 'exp_month',
  },
  incorrectCvc: {
    code: 'incorrect_cvc',
    declineCode: 'incorrect_cvc',
    message: "Your card's security code is incorrect.",
    param: 'cvc',
  },
  processingError: {
    code: 'processing_error',
    declineCode: 'processing_error',
    message: 'An error occurred while processing your card. Try again in a little bit.',
  },
  velocity: {
    code: 'card_declined',
    declineCode: 'card_velocity_exceeded',
    message:
      'Your card was declined for making repeated attempts too frequently or exceeding its amount limit.',
  },
  fraudulent: {
    code: 'card_declined',
    declineCode: 'fraudulent',
    message: 'Your card was declined.',
    blocked: true,
  },
} satisfies Record<string, CardDecline>

/** The card error Stripe sends when a payment needs 3-D Secure but the customer cannot be asked. */
export const AUTHENTICATION_REQUIRED: CardDecline = {
  code: 'authentication_required',
  declineCode: 'authentication_required',
  message: 'Your card was declined. This transaction requires authentication.',
}

const decline = (d: CardDecline): ChargeOutcome => ({ type: 'decline', decline: d })

/**
 * Every card by a stable name, e.g. `TEST_CARDS.insufficientFunds.number`. Numbers not listed
 * here but passing the Luhn check are accepted and always succeed, like unknown cards in test mode.
 */
export const TEST_CARDS = {
  // Successful payments, by brand.
  visa: {
    number: '4242424242424242',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    description: 'Visa',
    outcome: success,
    paymentMethod: 'pm_card_visa',
    token: 'tok_visa',
  },
  visaDebit: {
    number: '4000056655665556',
    brand: 'visa',
    funding: 'debit',
    country: 'US',
    description: 'Visa (debit)',
    outcome: success,
    paymentMethod: 'pm_card_visa_debit',
    token: 'tok_visa_debit',
  },
  mastercard: {
    number: '5555555555554444',
    brand: 'mastercard',
    funding: 'credit',
    country: 'US',
    description: 'Mastercard',
    outcome: success,
    paymentMethod: 'pm_card_mastercard',
    token: 'tok_mastercard',
  },
  mastercard2Series: {
    number: '2223003122003222',
    brand: 'mastercard',
    funding: 'credit',
    country: 'US',
    description: 'Mastercard (2-series)',
    outcome: success,
  },
  mastercardDebit: {
    number: '5200828282828210',
    brand: 'mastercard',
    funding: 'debit',
    country: 'US',
    description: 'Mastercard (debit)',
    outcome: success,
    paymentMethod: 'pm_card_mastercard_debit',
    token: 'tok_mastercard_debit',
  },
  mastercardPrepaid: {
    number: '5105105105105100',
    brand: 'mastercard',
    funding: 'prepaid',
    country: 'US',
    description: 'Mastercard (prepaid)',
    outcome: success,
    paymentMethod: 'pm_card_mastercard_prepaid',
    token: 'tok_mastercard_prepaid',
  },
  amex: {
    number: '378282246310005',
    brand: 'amex',
    funding: 'credit',
    country: 'US',
    description: 'American Express (4-digit CVC)',
    outcome: success,
    paymentMethod: 'pm_card_amex',
    token: 'tok_amex',
  },
  amex2: {
    number: '371449635398431',
    brand: 'amex',
    funding: 'credit',
    country: 'US',
    description: 'American Express',
    outcome: success,
  },
  discover: {
    number: '6011111111111117',
    brand: 'discover',
    funding: 'credit',
    country: 'US',
    description: 'Discover',
    outcome: success,
    paymentMethod: 'pm_card_discover',
    token: 'tok_discover',
  },
  discover2: {
    number: '6011000990139424',
    brand: 'discover',
    funding: 'credit',
    country: 'US',
    description: 'Discover',
    outcome: success,
  },
  discoverDebit: {
    number: '6011981111111113',
    brand: 'discover',
    funding: 'debit',
    country: 'US',
    description: 'Discover (debit)',
    outcome: success,
  },
  diners: {
    number: '3056930009020004',
    brand: 'diners',
    funding: 'credit',
    country: 'US',
    description: 'Diners Club',
    outcome: success,
    paymentMethod: 'pm_card_diners',
    token: 'tok_diners',
  },
  diners14: {
    number: '36227206271667',
    brand: 'diners',
    funding: 'credit',
    country: 'US',
    description: 'Diners Club (14-digit card)',
    outcome: success,
  },
  jcb: {
    number: '3566002020360505',
    brand: 'jcb',
    funding: 'credit',
    country: 'JP',
    description: 'JCB',
    outcome: success,
    paymentMethod: 'pm_card_jcb',
    token: 'tok_jcb',
  },
  unionpay: {
    number: '6200000000000005',
    brand: 'unionpay',
    funding: 'credit',
    country: 'CN',
    description: 'UnionPay',
    outcome: success,
    paymentMethod: 'pm_card_unionpay',
    token: 'tok_unionpay',
  },
  // Successful payments, by country.
  visaUnitedKingdom: {
    number: '4000008260000000',
    brand: 'visa',
    funding: 'credit',
    country: 'GB',
    description: 'Visa (United Kingdom)',
    outcome: success,
    paymentMethod: 'pm_card_gb',
    token: 'tok_gb',
  },
  visaGermany: {
    number: '4000002760000016',
    brand: 'visa',
    funding: 'credit',
    country: 'DE',
    description: 'Visa (Germany)',
    outcome: success,
    paymentMethod: 'pm_card_de',
    token: 'tok_de',
  },
  visaFrance: {
    number: '4000002500000003',
    brand: 'visa',
    funding: 'credit',
    country: 'FR',
    description: 'Visa (France)',
    outcome: success,
    paymentMethod: 'pm_card_fr',
    token: 'tok_fr',
  },
  visaJapan: {
    number: '4000003920000003',
    brand: 'visa',
    funding: 'credit',
    country: 'JP',
    description: 'Visa (Japan)',
    outcome: success,
    paymentMethod: 'pm_card_jp',
    token: 'tok_jp',
  },
  visaCanada: {
    number: '4000001240000000',
    brand: 'visa',
    funding: 'credit',
    country: 'CA',
    description: 'Visa (Canada)',
    outcome: success,
    paymentMethod: 'pm_card_ca',
    token: 'tok_ca',
  },
  visaBrazil: {
    number: '4000000760000002',
    brand: 'visa',
    funding: 'credit',
    country: 'BR',
    description: 'Visa (Brazil)',
    outcome: success,
    paymentMethod: 'pm_card_br',
    token: 'tok_br',
  },
  // Declined at charge time (tokenization succeeds).
  genericDecline: {
    number: '4000000000000002',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    description: 'Generic decline',
    outcome: decline(DECLINES.generic),
    paymentMethod: 'pm_card_visa_chargeDeclined',
    token: 'tok_visa_chargeDeclined',
  },
  insufficientFunds: {
    number: '4000000000009995',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    description: 'Insufficient funds decline',
    outcome: decline(DECLINES.insufficientFunds),
    paymentMethod: 'pm_card_visa_chargeDeclinedInsufficientFunds',
    token: 'tok_visa_chargeDeclinedInsufficientFunds',
  },
  lostCard: {
    number: '4000000000009987',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    description: 'Lost card decline',
    outcome: decline(DECLINES.lostCard),
    paymentMethod: 'pm_card_visa_chargeDeclinedLostCard',
    token: 'tok_visa_chargeDeclinedLostCard',
  },
  stolenCard: {
    number: '4000000000009979',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    description: 'Stolen card decline',
    outcome: decline(DECLINES.stolenCard),
    paymentMethod: 'pm_card_visa_chargeDeclinedStolenCard',
    token: 'tok_visa_chargeDeclinedStolenCard',
  },
  expiredCard: {
    number: '4000000000000069',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    description: 'Expired card decline',
    outcome: decline(DECLINES.expiredCard),
    paymentMethod: 'pm_card_chargeDeclinedExpiredCard',
    token: 'tok_chargeDeclinedExpiredCard',
  },
  incorrectCvc: {
    number: '4000000000000127',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    description: 'Incorrect CVC decline',
    outcome: decline(DECLINES.incorrectCvc),
    paymentMethod: 'pm_card_chargeDeclinedIncorrectCvc',
    token: 'tok_chargeDeclinedIncorrectCvc',
  },
  processingError: {
    number: '4000000000000119',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    description: 'Processing error decline',
    outcome: decline(DECLINES.processingError),
    paymentMethod: 'pm_card_chargeDeclinedProcessingError',
    token: 'tok_chargeDeclinedProcessingError',
  },
  velocityLimitExceeded: {
    number: '4000000000006975',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    description: 'Exceeding velocity limit decline',
    outcome: decline(DECLINES.velocity),
    paymentMethod: 'pm_card_visa_chargeDeclinedVelocityLimitExceeded',
    token: 'tok_visa_chargeDeclinedVelocityLimitExceeded',
  },
  chargeCustomerFail: {
    number: '4000000000000341',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    description: 'Attaches to a customer, then every charge is declined',
    outcome: decline(DECLINES.generic),
    paymentMethod: 'pm_card_chargeCustomerFail',
    token: 'tok_chargeCustomerFail',
  },
  // Fraud prevention (Radar).
  fraudulent: {
    number: '4100000000000019',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    description: 'Always blocked by Radar (decline_code fraudulent)',
    outcome: decline(DECLINES.fraudulent),
    paymentMethod: 'pm_card_radarBlock',
    token: 'tok_radarBlock',
  },
  highestRisk: {
    number: '4000000000004954',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    description: 'Highest risk: blocked by Radar',
    outcome: decline(DECLINES.fraudulent),
    paymentMethod: 'pm_card_riskLevelHighest',
    token: 'tok_riskLevelHighest',
  },
  elevatedRisk: {
    number: '4000000000009235',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    description: 'Elevated risk: succeeds, risk_level elevated',
    outcome: { type: 'success', riskLevel: 'elevated' },
    paymentMethod: 'pm_card_riskLevelElevated',
    token: 'tok_riskLevelElevated',
  },
  cvcCheckFail: {
    number: '4000000000000101',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    description: 'CVC check fails: declined (Radar rule) when a CVC was given',
    outcome: decline({ ...DECLINES.incorrectCvc, onlyWithCvc: true }),
    paymentMethod: 'pm_card_cvcCheckFail',
    token: 'tok_cvcCheckFail',
  },
  // Rejected at tokenization: fails the Luhn check (code incorrect_number).
  incorrectNumber: {
    number: '4242424242424241',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    description: 'Incorrect number: rejected when tokenized',
    outcome: success,
  },
  // 3-D Secure.
  authenticationRequired: {
    number: '4000002760003184',
    brand: 'visa',
    funding: 'credit',
    country: 'DE',
    description: '3-D Secure required on every payment, on or off session',
    outcome: success,
    authentication: 'always',
    paymentMethod: 'pm_card_authenticationRequired',
    token: 'tok_authenticationRequired',
  },
  authenticationRequiredOnSetup: {
    number: '4000002500003155',
    brand: 'visa',
    funding: 'credit',
    country: 'FR',
    description: '3-D Secure required unless the card was set up for off-session use',
    outcome: success,
    authentication: 'unless_set_up',
    paymentMethod: 'pm_card_authenticationRequiredOnSetup',
    token: 'tok_authenticationRequiredOnSetup',
  },
  authenticationRequiredSetUpForOffSession: {
    number: '4000003800000446',
    brand: 'visa',
    funding: 'credit',
    country: 'FR',
    description: '3-D Secure on session; off-session payments succeed',
    outcome: success,
    authentication: 'on_session',
    paymentMethod: 'pm_card_authenticationRequiredSetupForOffSession',
    token: 'tok_authenticationRequiredSetupForOffSession',
  },
  authenticationRequiredInsufficientFunds: {
    number: '4000008260003178',
    brand: 'visa',
    funding: 'credit',
    country: 'GB',
    description: '3-D Secure required, then declined for insufficient funds',
    outcome: decline(DECLINES.insufficientFunds),
    authentication: 'always',
    paymentMethod: 'pm_card_authenticationRequiredChargeDeclinedInsufficientFunds',
    token: 'tok_authenticationRequiredChargeDeclinedInsufficientFunds',
  },
  threeDSecure2Required: {
    number: '4000000000003220',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    description: '3-D Secure 2 required',
    outcome: success,
    authentication: 'always',
    paymentMethod: 'pm_card_threeDSecure2Required',
    token: 'tok_threeDSecure2Required',
  },
  threeDSecureRequired: {
    number: '4000000000003063',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    description: '3-D Secure required',
    outcome: success,
    authentication: 'always',
    paymentMethod: 'pm_card_threeDSecureRequired',
    token: 'tok_threeDSecureRequired',
  },
  threeDSecureRequiredChargeDeclined: {
    number: '4000008400001629',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    description: '3-D Secure required, then declined',
    outcome: decline(DECLINES.generic),
    authentication: 'always',
    paymentMethod: 'pm_card_threeDSecureRequiredChargeDeclined',
    token: 'tok_threeDSecureRequiredChargeDeclined',
  },
  threeDSecureOptional: {
    number: '4000000000003055',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    description: '3-D Secure supported but not required: succeeds',
    outcome: success,
    paymentMethod: 'pm_card_threeDSecureOptional',
    token: 'tok_threeDSecureOptional',
  },
  // Disputes: the charge succeeds, then a dispute is opened.
  dispute: {
    number: '4000000000000259',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    description: 'Succeeds, then disputed as fraudulent',
    outcome: { type: 'dispute', reason: 'fraudulent', status: 'needs_response' },
    paymentMethod: 'pm_card_createDispute',
    token: 'tok_createDispute',
  },
  disputeProductNotReceived: {
    number: '4000000000002685',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    description: 'Succeeds, then disputed as product not received',
    outcome: { type: 'dispute', reason: 'product_not_received', status: 'needs_response' },
    paymentMethod: 'pm_card_createDisputeProductNotReceived',
    token: 'tok_createDisputeProductNotReceived',
  },
  disputeInquiry: {
    number: '4000000000001976',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    description: 'Succeeds, then an inquiry (status warning_needs_response)',
    outcome: { type: 'dispute', reason: 'fraudulent', status: 'warning_needs_response' },
    paymentMethod: 'pm_card_createDisputeInquiry',
    token: 'tok_createDisputeInquiry',
  },
} as const satisfies Record<string, TestCard>

export type TestCardName = keyof typeof TEST_CARDS

const BY_NUMBER = new Map<string, TestCard>(
  Object.values(TEST_CARDS).map((card) => [card.number, card]),
)

/** The documented behaviour of a card number, if it is one of Stripe's test cards. */
export function testCardByNumber(number: string): TestCard | undefined {
  return BY_NUMBER.get(number)
}
