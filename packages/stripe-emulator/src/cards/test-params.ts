/** Helpers for tests that use the emulator: test card parameters by name, fingerprints to expect. */
import { TEST_CARDS, type TestCard, type TestCardName } from './table'

export { cardFingerprint as expectedFingerprint } from './fingerprint'

/**
 * `card[...]` parameters for a test card, ready for `stripe.paymentMethods.create({ type: 'card', card })`
 * or `stripe.tokens.create({ card })`: a valid future expiry and a CVC of the right length.
 */
export function testCardParams(
  card: TestCardName | TestCard,
  overrides: Partial<{ exp_month: number; exp_year: number; cvc: string }> = {},
): { number: string; exp_month: number; exp_year: number; cvc: string } {
  const entry: TestCard = typeof card === 'string' ? TEST_CARDS[card] : card
  return {
    number: entry.number,
    exp_month: 12,
    exp_year: new Date().getUTCFullYear() + 3,
    cvc: entry.brand === 'amex' ? '1234' : '123',
    ...overrides,
  }
}
