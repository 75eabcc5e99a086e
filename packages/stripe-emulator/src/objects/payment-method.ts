/** The PaymentMethod object (type card). */
import type { CardBrand, CardFunding } from '../cards/table'
import type { Metadata } from '../params'
import type { BillingDetails } from './billing-details'

export interface PaymentMethodCard {
  brand: CardBrand
  checks: {
    address_line1_check: string | null
    address_postal_code_check: string | null
    cvc_check: string | null
  }
  country: string
  display_brand: string
  exp_month: number
  exp_year: number
  fingerprint: string
  funding: CardFunding
  generated_from: null
  last4: string
  networks: { available: string[]; preferred: string | null }
  regulated_status: 'regulated' | 'unregulated'
  three_d_secure_usage: { supported: boolean }
  wallet: null
}

export interface PaymentMethod {
  id: string
  object: 'payment_method'
  allow_redisplay: 'always' | 'limited' | 'unspecified'
  billing_details: BillingDetails
  card: PaymentMethodCard
  created: number
  customer: string | null
  livemode: false
  metadata: Metadata
  type: 'card'
}
