/** Stripe's magic ids (`pm_card_visa`, `tok_visa`…) that stand for a test card in any account. */
import { TEST_CARDS, type TestCard } from './table'

/** Older or alternative spellings Stripe also accepts for the same cards. */
const ALIASES: Readonly<Record<string, keyof typeof TEST_CARDS>> = {
  pm_card_chargeDeclined: 'genericDecline',
  pm_card_chargeDeclinedInsufficientFunds: 'insufficientFunds',
  pm_card_chargeDeclinedLostCard: 'lostCard',
  pm_card_chargeDeclinedStolenCard: 'stolenCard',
  pm_card_chargeDeclinedFraudulent: 'fraudulent',
  pm_card_visa_chargeDeclinedFraudulent: 'fraudulent',
  pm_card_chargeDeclinedVelocityLimitExceeded: 'velocityLimitExceeded',
  pm_card_visa_chargeDeclinedExpiredCard: 'expiredCard',
  pm_card_visa_chargeDeclinedIncorrectCvc: 'incorrectCvc',
  pm_card_visa_chargeDeclinedProcessingError: 'processingError',
  pm_card_threeDSecure2Optional: 'threeDSecureOptional',
  pm_card_us: 'visa',
  tok_chargeDeclined: 'genericDecline',
  tok_chargeDeclinedInsufficientFunds: 'insufficientFunds',
  tok_chargeDeclinedLostCard: 'lostCard',
  tok_chargeDeclinedStolenCard: 'stolenCard',
  tok_chargeDeclinedFraudulent: 'fraudulent',
  tok_us: 'visa',
}

const MAGIC = new Map<string, TestCard>()
for (const card of Object.values(TEST_CARDS) as TestCard[]) {
  if (card.paymentMethod) MAGIC.set(card.paymentMethod, card)
  if (card.token) MAGIC.set(card.token, card)
}
for (const [id, name] of Object.entries(ALIASES)) MAGIC.set(id, TEST_CARDS[name])

/** The test card a magic PaymentMethod id (`pm_card_…`) or token id (`tok_…`) stands for. */
export function magicCard(id: string): TestCard | undefined {
  return MAGIC.get(id)
}

/** All magic PaymentMethod ids, for documentation and tests. */
export function magicPaymentMethodIds(): string[] {
  return [...MAGIC.keys()].filter((id) => id.startsWith('pm_'))
}
