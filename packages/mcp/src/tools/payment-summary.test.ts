import type { PaymentInfo } from '@stripe402/client'
import { describe, expect, it } from 'vitest'
import { costSentence, summarize } from './payment-summary'

const paid = (topUp?: PaymentInfo['topUp']): PaymentInfo => ({
  outcome: 'paid',
  origin: 'https://api.example',
  route: 'GET /api/joke',
  requests: 2,
  currency: 'usd',
  amount: 500,
  creditsRemaining: 49_500,
  ...(topUp && { topUp }),
})

describe('what the model is told a paid call cost', () => {
  it('says the card was charged only for a top-up whose charge an answer named', () => {
    expect(costSentence(paid({ units: 50_000, chargeId: 'pi_1' }))).toContain(
      'after charging the card $5.00 (50000 units) for a top-up',
    )
    const unsure = costSentence(paid({ units: 50_000, unconfirmed: true }))
    expect(unsure).not.toContain('charging the card')
    expect(unsure).toContain('no answer named a charge for')
    expect(summarize(paid({ units: 50_000, unconfirmed: true }))).toMatchObject({
      unconfirmed: 50_000,
    })
  })
})
