/** Reads card data from `card[...]` parameters: raw number/expiry/CVC, or a token (`card[token]`). */
import { magicCard } from '../cards/magic'
import { testCardByNumber, type TestCard } from '../cards/table'
import { validateCard, type CardDetails } from '../cards/validate'
import { invalidRequest, resourceMissing } from '../errors'
import { paramName, readString, rejectUnknown, type FormObject } from '../params'
import type { Account } from '../state'

export interface CardSource {
  details: CardDetails
  testCard: TestCard | undefined
  cvcProvided: boolean
}

/** Expiry given to cards that come from a magic id: valid for years to come. */
function magicExpiry(): { expMonth: number; expYear: number } {
  return { expMonth: 12, expYear: new Date().getUTCFullYear() + 5 }
}

/** The card a magic id stands for, as a CardSource. */
export function magicSource(card: TestCard): CardSource {
  const { expMonth, expYear } = magicExpiry()
  return {
    details: { number: card.number, expMonth, expYear, cvc: null },
    testCard: card,
    cvcProvided: true,
  }
}

/** Uses up a token (`tok_…`) and returns its card: Stripe tokens are single-use, magic ones are not. */
export function consumeToken(account: Account, tokenId: string, param: string): CardSource {
  const magic = magicCard(tokenId)
  if (magic && tokenId.startsWith('tok_')) return magicSource(magic)
  const token = account.tokens.get(tokenId)
  const record = account.cards.get(tokenId)
  if (!token || !record) throw resourceMissing('token', tokenId, param, 400)
  if (token.used)
    throw invalidRequest(
      `You cannot use a Stripe token more than once: ${tokenId}.`,
      param,
      'token_already_used',
    )
  token.used = true
  return {
    details: {
      number: record.number,
      expMonth: token.card.exp_month,
      expYear: token.card.exp_year,
      cvc: null,
    },
    testCard: record.testCard,
    cvcProvided: record.cvcProvided,
  }
}

/** Parses and validates `card[number|exp_month|exp_year|cvc]` (or `card[token]`) found under `prefix`. */
export function readCardSource(
  account: Account,
  card: FormObject,
  prefix: string,
  allowToken: boolean,
): CardSource {
  rejectUnknown(
    card,
    allowToken
      ? ['number', 'exp_month', 'exp_year', 'cvc', 'token', 'networks']
      : ['number', 'exp_month', 'exp_year', 'cvc', 'networks'],
    prefix,
  )
  const token = readString(card, 'token', { prefix })
  if (token) {
    if (card.number !== undefined)
      throw invalidRequest(
        `You cannot pass both ${paramName(prefix, 'token')} and ${paramName(prefix, 'number')}.`,
        paramName(prefix, 'token'),
      )
    return consumeToken(account, token, paramName(prefix, 'token'))
  }
  const number = readString(card, 'number', { prefix, required: true })
  const expMonth = readString(card, 'exp_month', { prefix, required: true })
  const expYear = readString(card, 'exp_year', { prefix, required: true })
  const cvc = readString(card, 'cvc', { prefix, nullable: true }) ?? undefined
  const details = validateCard(
    { number: number as string, expMonth: expMonth as string, expYear: expYear as string, cvc },
    prefix,
  )
  return { details, testCard: testCardByNumber(details.number), cvcProvided: details.cvc !== null }
}
