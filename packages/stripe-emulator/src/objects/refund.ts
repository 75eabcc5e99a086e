/** The Refund object. */
import type { Metadata } from '../params'

export interface Refund {
  id: string
  object: 'refund'
  amount: number
  balance_transaction: string
  charge: string
  created: number
  currency: string
  destination_details: {
    card: {
      reference: string
      reference_status: 'available'
      reference_type: 'acquirer_reference_number'
      type: 'refund'
    }
    type: 'card'
  }
  metadata: Metadata
  payment_intent: string | null
  reason: 'duplicate' | 'fraudulent' | 'requested_by_customer' | null
  receipt_number: null
  source_transfer_reversal: null
  status: 'succeeded' | 'pending' | 'failed' | 'canceled'
  /** Why a refund failed (`failed` only). */
  failure_reason?: 'lost_or_stolen_card' | 'expired_or_canceled_card' | 'unknown'
  transfer_reversal: null
}
