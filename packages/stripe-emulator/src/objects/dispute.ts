/** The Dispute object, with its reasons and statuses. */
import type { Metadata } from '../params'

export type DisputeReason =
  | 'fraudulent'
  | 'product_not_received'
  | 'duplicate'
  | 'general'
  | 'product_unacceptable'
  | 'subscription_canceled'
  | 'unrecognized'
  | 'credit_not_processed'

export type DisputeStatus =
  | 'needs_response'
  | 'under_review'
  | 'won'
  | 'lost'
  | 'warning_needs_response'
  | 'warning_under_review'
  | 'warning_closed'

export interface Dispute {
  id: string
  object: 'dispute'
  amount: number
  balance_transactions: unknown[]
  charge: string
  created: number
  currency: string
  evidence: Record<string, null>
  evidence_details: {
    due_by: number
    has_evidence: boolean
    past_due: boolean
    submission_count: number
  }
  is_charge_refundable: boolean
  livemode: false
  metadata: Metadata
  network_reason_code: string
  payment_intent: string | null
  payment_method_details: {
    card: { brand: string; case_type: 'chargeback' | 'inquiry'; network_reason_code: string }
    type: 'card'
  }
  reason: DisputeReason
  status: DisputeStatus
}
