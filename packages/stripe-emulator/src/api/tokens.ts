/** /v1/tokens: single-use card tokens (`tok_…`), creatable with the publishable key. */
import { cardFingerprint } from '../cards/fingerprint'
import { magicCard } from '../cards/magic'
import { detectBrand, TOKEN_BRAND_NAMES } from '../cards/validate'
import { missingParam, resourceMissing } from '../errors'
import { newId, unixNow } from '../ids'
import type { Token } from '../objects/token'
import { readObject, rejectUnknown } from '../params'
import type { Account } from '../state'
import { magicSource, readCardSource, type CardSource } from './card-source'
import { render, type RequestContext } from './context'

function storeToken(account: Account, source: CardSource, clientIp: string | null): Token {
  const { details, testCard } = source
  const token: Token = {
    id: newId('tok'),
    object: 'token',
    card: {
      id: newId('card'),
      object: 'card',
      address_city: null,
      address_country: null,
      address_line1: null,
      address_line1_check: null,
      address_line2: null,
      address_state: null,
      address_zip: null,
      address_zip_check: null,
      brand: TOKEN_BRAND_NAMES[testCard?.brand ?? detectBrand(details.number)],
      country: testCard?.country ?? 'US',
      cvc_check: source.cvcProvided ? 'unchecked' : null,
      dynamic_last4: null,
      exp_month: details.expMonth,
      exp_year: details.expYear,
      fingerprint: cardFingerprint(account.id, details.number),
      funding: testCard?.funding ?? 'credit',
      last4: details.number.slice(-4),
      metadata: {},
      name: null,
      tokenization_method: null,
      wallet: null,
    },
    client_ip: clientIp,
    created: unixNow(),
    livemode: false,
    type: 'card',
    used: false,
  }
  account.tokens.set(token.id, token)
  account.cards.set(token.id, {
    number: details.number,
    cvcProvided: source.cvcProvided,
    testCard,
    setUpForOffSession: false,
  })
  return token
}

export function createToken(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, ['card', 'expand'])
  const card = readObject(ctx.params, 'card')
  if (!card) throw missingParam('card')
  const source = readCardSource(ctx.account, card, 'card', false)
  return render(ctx, storeToken(ctx.account, source, ctx.clientIp))
}

export function retrieveToken(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, ['expand'])
  const id = ctx.path.id as string
  const stored = ctx.account.tokens.get(id)
  if (stored) return render(ctx, stored)
  const magic = magicCard(id)
  if (magic && id.startsWith('tok_'))
    return render(ctx, storeToken(ctx.account, magicSource(magic), null))
  throw resourceMissing('token', id)
}
