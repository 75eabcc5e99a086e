/**
 * Why a payment did not happen, in words a model can act on: what happened to the money, and
 * what to do next (retry, raise a limit, ask the user, give up). One sentence per reason code:
 * the client's policy refusals and the server's error codes (spec §5).
 */
import type { PaymentInfo } from '@stripe402/client'
import { money } from './answer'

const NOTHING_PAID = 'Nothing was paid.'

const WORDS: Readonly<Record<string, string>> = {
  // The client's policy, before any money moved.
  price_above_max: `The price is above the most this call may cost (maxPrice, or the policy's cap per call). ${NOTHING_PAID} If the price is worth it, call again with a higher maxPrice; otherwise do without this resource.`,
  budget_exceeded: `Paying would go over the spending budget the user set. ${NOTHING_PAID} Do not retry: ask the user to raise the budget, or wait for the next budget period (check with the wallet tool).`,
  top_up_above_max: `This server's smallest card top-up is above the largest charge the user allows. ${NOTHING_PAID} Ask the user to raise the maximum top-up, or use another source.`,
  origin_not_allowed: `This server is not one the user allows paying. ${NOTHING_PAID} Ask the user to allow its origin, or use another source.`,
  currency_not_allowed: `This server charges in a currency the user's budget does not cover. ${NOTHING_PAID} Ask the user for a budget in that currency.`,
  not_approved: `The payment was not approved. ${NOTHING_PAID} Do not retry without asking the user.`,
  no_payment_method: `No card is configured, so nothing can be paid. Ask the user to set one up (STRIPE402_CARD).`,
  insecure_transport: `The server is plain http:// (not https), and no payment is sent over it. ${NOTHING_PAID} Use its https:// URL.`,
  publishable_key_changed: `This server now names a different Stripe account than before, so payment was refused as a precaution. ${NOTHING_PAID} Ask the user to confirm the server is genuine.`,
  handle_revoked: `The spending handle of this agent was revoked by its owner. ${NOTHING_PAID} Stop paying and tell the user.`,
  // The server or Stripe, after the client offered to pay.
  card_declined: `The card was declined. Nothing was charged. Retrying will not help: the user must use another card.`,
  authentication_required: `The card needs 3-D Secure authentication, which an unattended agent cannot complete. Nothing was charged. Ask the user for a card that does not.`,
  payment_failed: `The card charge did not go through. Nothing was charged. Retry later, or ask the user for another card.`,
  credential_revoked: `The server revoked this agent's credential for it. ${NOTHING_PAID} Retry once: the card pays for a new one, within the budget.`,
  account_frozen: `The server froze the account this card pays from (for example after a dispute). Nothing can be paid there; tell the user.`,
  price_above_max_amount: `The server's price rose above what this call allowed. ${NOTHING_PAID} Call again with a maxPrice that covers the new price if it is worth it.`,
  top_up_below_minimum: `The top-up offered is below this server's minimum. Nothing was charged. Ask the user to raise the top-up size or the maximum top-up.`,
  top_up_above_maximum: `The top-up offered is above this server's maximum. Nothing was charged. Ask the user to lower the top-up size.`,
  payment_method_origin_mismatch: `The server refused a card payment created for another server. Nothing was charged. This is a client problem: report it to the user.`,
  payment_method_unbound: `The server refused the card payment without this agent's credential for it. Nothing was charged. Tell the user.`,
  insufficient_credits: `The credits ran out and no top-up was made. ${NOTHING_PAID} Retry once; if it fails again, tell the user.`,
  rate_limited: `The server is limiting payment attempts. Nothing was charged. Wait a while before retrying.`,
  ledger_unavailable: `The server cannot take payments right now. Nothing was charged. Retry in a minute.`,
  payment_unavailable: `The server cannot reach its payment processor right now. Nothing was charged. Retry in a minute.`,
  invalid_payment: `The server could not read the payment. ${NOTHING_PAID} This is a client or server defect: do not retry; tell the user.`,
  currency_mismatch: `The server and this client disagree on the currency. ${NOTHING_PAID} Tell the user.`,
}

/** Why `info` is a refusal or failure, with the price when the server gave one. */
export function explainPayment(info: PaymentInfo): string {
  const reason = info.reason ?? 'payment_failed'
  const words =
    WORDS[reason] ??
    `The payment did not go through (${reason}). Do not retry blindly: tell the user.`
  const accepts = info.requirements
  const price = accepts
    ? ` The call costs ${money(accepts.amount, accepts.currency)} from credits topped up by card from ${money(accepts.minTopUp, accepts.currency)}.`
    : ''
  const detail = info.message ? ` Detail: ${info.message}` : ''
  return `Not paid (${reason}): ${words}${price}${detail}`
}

/** A 402 that is not a stripe402 challenge. */
export function notStripe402(url: string): string {
  return `${url} answered 402 Payment Required without a stripe402 challenge: it is not a stripe402 server, and this tool cannot pay it. ${NOTHING_PAID}`
}
