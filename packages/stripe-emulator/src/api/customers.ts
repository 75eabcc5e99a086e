/** /v1/customers: create, retrieve, update, delete, list and search (`metadata["k"]:"v"`). */
import { invalidRequest, resourceMissing } from '../errors'
import { newId, randomAlnum, unixNow } from '../ids'
import type { Customer, DeletedCustomer } from '../objects/customer'
import {
  applyMetadata,
  readEnum,
  readObject,
  readString,
  readStringArray,
  rejectUnknown,
  type FormObject,
} from '../params'
import { LIST_PARAMS, paginate } from '../query/list'
import { SEARCH_PARAMS, search, type SearchField } from '../query/search'
import type { Account } from '../state'
import { applyAddress, emptyAddress } from './billing-details'
import { render, type RequestContext } from './context'
import { findCustomer, isDeleted } from './find-customer'
import { attachPaymentMethod, resolvePaymentMethod } from './payment-methods'

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** Applies the fields create and update share. */
function applyFields(ctx: RequestContext, customer: Customer, params: FormObject): void {
  const email = readString(params, 'email', { nullable: true, maxLength: 512 })
  if (email !== undefined) {
    if (email !== null && !EMAIL.test(email))
      throw invalidRequest(`Invalid email address: ${email}`, 'email', 'email_invalid')
    customer.email = email
  }
  for (const field of ['name', 'description', 'phone'] as const) {
    const value = readString(params, field, { nullable: true })
    if (value !== undefined) customer[field] = value
  }
  const address = readObject(params, 'address')
  if (address === null) customer.address = null
  else if (address)
    customer.address = applyAddress(address, customer.address ?? emptyAddress(), 'address')
  customer.metadata = applyMetadata(params, customer.metadata)
  const locales = readStringArray(params, 'preferred_locales')
  if (locales) customer.preferred_locales = locales
  const taxExempt = readEnum(params, 'tax_exempt', ['none', 'exempt', 'reverse'] as const)
  if (taxExempt) customer.tax_exempt = taxExempt
  const invoiceSettings = readObject(params, 'invoice_settings')
  if (invoiceSettings) {
    rejectUnknown(
      invoiceSettings,
      ['default_payment_method', 'custom_fields', 'footer', 'rendering_options'],
      'invoice_settings',
    )
    const pmId = readString(invoiceSettings, 'default_payment_method', {
      prefix: 'invoice_settings',
      nullable: true,
    })
    if (pmId === null) customer.invoice_settings.default_payment_method = null
    else if (pmId !== undefined) {
      const pm = ctx.account.paymentMethods.get(pmId)
      if (!pm || pm.customer !== customer.id) {
        throw invalidRequest(
          `The customer does not have a payment method with the ID ${pmId}. The payment method must be attached to the customer.`,
          'invoice_settings[default_payment_method]',
          'resource_missing',
        )
      }
      customer.invoice_settings.default_payment_method = pm.id
    }
  }
}

const WRITABLE = [
  'address',
  'description',
  'email',
  'metadata',
  'name',
  'phone',
  'preferred_locales',
  'invoice_settings',
  'tax_exempt',
  'expand',
]

export function createCustomer(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, [...WRITABLE, 'payment_method'])
  const customer: Customer = {
    id: newId('cus'),
    object: 'customer',
    address: null,
    balance: 0,
    created: unixNow(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email: null,
    invoice_prefix: randomAlnum(8).toUpperCase(),
    invoice_settings: {
      custom_fields: null,
      default_payment_method: null,
      footer: null,
      rendering_options: null,
    },
    livemode: false,
    metadata: {},
    name: null,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  }
  const pmId = readString(ctx.params, 'payment_method')
  // Attach first: if the card is refused, no customer is created (the whole request fails, as on Stripe).
  if (pmId)
    attachPaymentMethod(
      ctx,
      resolvePaymentMethod(ctx.account, pmId, 'payment_method', 400),
      customer.id,
    )
  applyFields(ctx, customer, ctx.params)
  ctx.account.customers.set(customer.id, customer)
  ctx.core.emit(ctx.account, 'customer.created', customer, ctx.request)
  return render(ctx, customer)
}

export function retrieveCustomer(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, ['expand'])
  const id = ctx.path.id as string
  const customer = ctx.account.customers.get(id)
  if (!customer) throw resourceMissing('customer', id)
  return render(ctx, customer)
}

export function updateCustomer(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, [...WRITABLE, 'default_source'])
  const customer = findCustomer(ctx.account, ctx.path.id as string)
  const before = structuredClone(customer)
  applyFields(ctx, customer, ctx.params)
  const previous: Record<string, unknown> = {}
  for (const key of Object.keys(customer) as (keyof Customer)[]) {
    if (JSON.stringify(customer[key]) !== JSON.stringify(before[key])) previous[key] = before[key]
  }
  if (Object.keys(previous).length > 0) {
    const event = ctx.core.emit(ctx.account, 'customer.updated', customer, ctx.request)
    event.data.previous_attributes = previous
  }
  return render(ctx, customer)
}

export function deleteCustomer(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, [])
  const customer = findCustomer(ctx.account, ctx.path.id as string)
  // Deleting a customer detaches its PaymentMethods; like any detached PaymentMethod they cannot be used again.
  for (const pm of ctx.account.paymentMethods.values()) {
    if (pm.customer === customer.id) {
      pm.customer = null
      ctx.account.consumedPaymentMethods.add(pm.id)
    }
  }
  const deleted: DeletedCustomer = { id: customer.id, object: 'customer', deleted: true }
  ctx.account.customers.set(customer.id, deleted)
  ctx.core.emit(ctx.account, 'customer.deleted', customer, ctx.request)
  return deleted
}

function liveCustomers(account: Account): Customer[] {
  return [...account.customers.values()].filter((c): c is Customer => !isDeleted(c))
}

export function listCustomers(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, [...LIST_PARAMS, 'email', 'test_clock'])
  const email = readString(ctx.params, 'email')
  // Stripe's list filter on email is case-sensitive.
  const items = liveCustomers(ctx.account).filter((c) => email === undefined || c.email === email)
  return render(ctx, paginate(items, ctx.params, '/v1/customers'))
}

const SEARCH_FIELDS: Record<string, SearchField> = {
  created: { kind: 'number', get: (c: Customer) => c.created },
  email: { kind: 'string', get: (c: Customer) => c.email },
  name: { kind: 'string', get: (c: Customer) => c.name },
  phone: { kind: 'string', get: (c: Customer) => c.phone },
}

export function searchCustomers(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, SEARCH_PARAMS)
  return render(ctx, search(liveCustomers(ctx.account), ctx.params, 'customers', SEARCH_FIELDS))
}
