/** `billing_details` of PaymentMethods and charges. */
import type { Address, BillingDetails } from '../objects/billing-details'
import { rejectUnknown, readObject, readString, type FormObject } from '../params'

export function emptyAddress(): Address {
  return { city: null, country: null, line1: null, line2: null, postal_code: null, state: null }
}

export function emptyBillingDetails(): BillingDetails {
  return { address: emptyAddress(), email: null, name: null, phone: null, tax_id: null }
}

const ADDRESS_FIELDS = ['city', 'country', 'line1', 'line2', 'postal_code', 'state'] as const

export function applyAddress(params: FormObject, current: Address, prefix: string): Address {
  rejectUnknown(params, ADDRESS_FIELDS, prefix)
  const next = { ...current }
  for (const field of ADDRESS_FIELDS) {
    const value = readString(params, field, { prefix, nullable: true })
    if (value !== undefined) next[field] = value
  }
  return next
}

/** Merges `billing_details[...]` parameters into `current`. */
export function applyBillingDetails(
  params: FormObject,
  current: BillingDetails = emptyBillingDetails(),
): BillingDetails {
  const raw = readObject(params, 'billing_details')
  if (raw === undefined) return current
  if (raw === null) return emptyBillingDetails()
  const prefix = 'billing_details'
  rejectUnknown(raw, ['address', 'email', 'name', 'phone', 'tax_id'], prefix)
  const next: BillingDetails = { ...current, address: { ...current.address } }
  for (const field of ['email', 'name', 'phone', 'tax_id'] as const) {
    const value = readString(raw, field, { prefix, nullable: true })
    if (value !== undefined) next[field] = value
  }
  const address = readObject(raw, 'address', { prefix })
  if (address === null) next.address = emptyAddress()
  else if (address) next.address = applyAddress(address, next.address, `${prefix}[address]`)
  return next
}
