/** The Charge object, as Stripe returns it. */
import type { Metadata } from '../params'
import type { BillingDetails } from './billing-details'
import type { PaymentMethodCard } from './payment-method'

export interface ChargeOutcomeObject {
  advice_code: string | null
  network_advice_code: string | null
  network_decline_code: string | null
  network_status: 'approved_by_network' | 'declined_by_network' | 'not_sent_to_network'
  reason: string | null
  risk_level: 'normal' | 'elevated' | 'highest'
  risk_score: number
  seller_message: string
  type: 'authorized' | 'issuer_declined' | 'blocked'
}

export interface ThreeDSecureDetails {
  authentication_flow: 'challenge'
  electronic_commerce_indicator: string
  exemption_indicator: null
  result: 'authenticated'
  result_reason: null
  transaction_id: string
  version: string
}

export interface ChargeCardDetails {
  amount_authorized: number | null
  authorization_code: string | null
  brand: string
  checks: PaymentMethodCard['checks']
  country: string
  exp_month: number
  exp_year: number
  fingerprint: string
  funding: string
  installments: null
  last4: string
  mandate: null
  network: string
  network_token: { used: boolean }
  network_transaction_id: string | null
  regulated_status: string
  three_d_secure: ThreeDSecureDetails | null
  wallet: null
}

export interface Charge {
  id: string
  object: 'charge'
  amount: number
  amount_captured: number
  amount_refunded: number
  application: null
  application_fee: null
  application_fee_amount: null
  balance_transaction: string | null
  billing_details: BillingDetails
  calculated_statement_descriptor: string
  captured: boolean
  created: number
  currency: string
  customer: string | null
  description: string | null
  destination: null
  disputed: boolean
  failure_balance_transaction: null
  failure_code: string | null
  failure_message: string | null
  fraud_details: Record<string, string>
  livemode: false
  metadata: Metadata
  on_behalf_of: null
  outcome: ChargeOutcomeObject
  paid: boolean
  payment_intent: string | null
  payment_method: string
  payment_method_details: { card: ChargeCardDetails; type: 'card' }
  radar_options: Record<string, string>
  receipt_email: string | null
  receipt_number: null
  receipt_url: string | null
  refunded: boolean
  review: null
  shipping: null
  source: null
  source_transfer: null
  statement_descriptor: string | null
  statement_descriptor_suffix: string | null
  status: 'succeeded' | 'failed' | 'pending'
  transfer_data: null
  transfer_group: null
}
