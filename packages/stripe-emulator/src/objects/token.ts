/** The card Token object. */
import type { CardFunding } from '../cards/table'

/** The legacy `card` object a token carries (brands spelled "Visa", "American Express"). */
export interface TokenCard {
  id: string
  object: 'card'
  address_city: null
  address_country: null
  address_line1: null
  address_line1_check: null
  address_line2: null
  address_state: null
  address_zip: null
  address_zip_check: null
  brand: string
  country: string
  cvc_check: string | null
  dynamic_last4: null
  exp_month: number
  exp_year: number
  fingerprint: string
  funding: CardFunding
  last4: string
  metadata: Record<string, string>
  name: null
  tokenization_method: null
  wallet: null
}

export interface Token {
  id: string
  object: 'token'
  card: TokenCard
  client_ip: string | null
  created: number
  livemode: false
  type: 'card'
  used: boolean
}
