import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import { rejectionOf, useEmulator, messageOf } from '../test/support/harness'

const h = useEmulator()

describe('customers', () => {
  it('creates, retrieves and updates with Stripe metadata rules', async () => {
    const stripe = h.stripe()
    const customer = await stripe.customers.create({
      email: 'Agent@Example.com',
      name: 'Agent',
      description: 'first',
      metadata: { a: '1', b: '2' },
    })
    expect(customer).toMatchObject({
      object: 'customer',
      livemode: false,
      email: 'Agent@Example.com',
      name: 'Agent',
      balance: 0,
      delinquent: false,
      metadata: { a: '1', b: '2' },
    })
    expect(customer.id).toMatch(/^cus_/)
    const updated = await stripe.customers.update(customer.id, {
      description: '',
      metadata: { a: '', c: '3' },
    })
    expect(updated.description).toBeNull()
    expect(updated.metadata).toEqual({ b: '2', c: '3' })
    expect(await stripe.customers.retrieve(customer.id)).toMatchObject({
      metadata: { b: '2', c: '3' },
    })
  })

  it('finds customers by metadata immediately after create and update', async () => {
    const stripe = h.stripe()
    const one = await stripe.customers.create({ metadata: { stripe402_client_id: 'abc123' } })
    await stripe.customers.create({ metadata: { stripe402_client_id: 'zzz999' } })
    const found = await stripe.customers.search({
      query: 'metadata["stripe402_client_id"]:"abc123"',
    })
    expect(found).toMatchObject({
      object: 'search_result',
      has_more: false,
      next_page: null,
      url: '/v1/customers/search',
    })
    expect(found.data.map((c) => c.id)).toEqual([one.id])
    await stripe.customers.update(one.id, { metadata: { stripe402_client_id: 'moved' } })
    expect(
      (await stripe.customers.search({ query: 'metadata["stripe402_client_id"]:"abc123"' })).data,
    ).toHaveLength(0)
    expect(
      (
        await stripe.customers.search({ query: 'metadata["stripe402_client_id"]:"moved"' })
      ).data.map((c) => c.id),
    ).toEqual([one.id])
  })

  it('searches email case-insensitively, with substring and paging', async () => {
    const stripe = h.stripe()
    for (const email of ['ann@example.com', 'bob@example.com', 'cy@other.org'])
      await stripe.customers.create({ email })
    expect((await stripe.customers.search({ query: 'email:"ANN@example.com"' })).data).toHaveLength(
      1,
    )
    const page = await stripe.customers.search({ query: 'email~"example"', limit: 1 })
    expect(page.has_more).toBe(true)
    const all = await stripe.customers
      .search({ query: 'email~"example"', limit: 1 })
      .autoPagingToArray({ limit: 10 })
    expect(all.map((c) => c.email).sort()).toEqual(['ann@example.com', 'bob@example.com'])
  })

  it('lists by email and deletes', async () => {
    const stripe = h.stripe()
    const customer = await stripe.customers.create({ email: 'gone@example.com' })
    expect((await stripe.customers.list({ email: 'gone@example.com' })).data).toHaveLength(1)
    const deleted = await stripe.customers.del(customer.id)
    expect(deleted).toMatchObject({ id: customer.id, object: 'customer', deleted: true })
    expect(await stripe.customers.retrieve(customer.id)).toMatchObject({ deleted: true })
    expect((await stripe.customers.list({ email: 'gone@example.com' })).data).toHaveLength(0)
    const update = await rejectionOf(stripe.customers.update(customer.id, { name: 'x' }))
    expect(update.statusCode).toBe(404)
  })

  it('refuses an invalid email and unknown ids', async () => {
    const stripe = h.stripe()
    const bad = await rejectionOf(stripe.customers.create({ email: 'not-an-email' }))
    expect(bad).toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'email_invalid',
      param: 'email',
    })
    const missing = await rejectionOf(stripe.customers.retrieve('cus_missing'))
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'id' })
  })
})

describe('payment methods on customers', () => {
  it('attaches at customer creation, sets the default, lists and detaches', async () => {
    const stripe = h.stripe()
    const pm = await h.tokenize('visa')
    const customer = await stripe.customers.create({
      payment_method: pm.id,
      invoice_settings: { default_payment_method: pm.id },
    })
    expect(customer.invoice_settings.default_payment_method).toBe(pm.id)
    expect((await stripe.paymentMethods.retrieve(pm.id)).customer).toBe(customer.id)
    const second = await h.tokenize('mastercard')
    const attached = await stripe.paymentMethods.attach(second.id, { customer: customer.id })
    expect(attached.customer).toBe(customer.id)
    const listed = await stripe.customers.listPaymentMethods(customer.id, { type: 'card' })
    expect(listed.data.map((p) => p.id).sort()).toEqual([pm.id, second.id].sort())
    expect(
      (await stripe.paymentMethods.list({ customer: customer.id, type: 'card' })).data,
    ).toHaveLength(2)
    const detached = await stripe.paymentMethods.detach(second.id)
    expect(detached.customer).toBeNull()
    // A detached PaymentMethod is spent.
    const reuse = await rejectionOf(
      stripe.paymentMethods.attach(second.id, { customer: customer.id }),
    )
    expect(reuse).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
    const again = await rejectionOf(stripe.paymentMethods.detach(second.id))
    expect(again.code).toBe('payment_method_unexpected_state')
  })

  it('refuses to attach a PaymentMethod of another customer, or to default to a foreign one', async () => {
    const stripe = h.stripe()
    const pm = await h.tokenize('visa')
    const owner = await stripe.customers.create({ payment_method: pm.id })
    const other = await stripe.customers.create({})
    const error = await rejectionOf(stripe.paymentMethods.attach(pm.id, { customer: other.id }))
    expect(messageOf(error)).toMatch(/already been attached/)
    const same = await stripe.paymentMethods.attach(pm.id, { customer: owner.id })
    expect(same.customer).toBe(owner.id)
    const foreign = await rejectionOf(
      stripe.customers.update(other.id, { invoice_settings: { default_payment_method: pm.id } }),
    )
    expect(foreign.param).toBe('invoice_settings[default_payment_method]')
  })

  it('updates PaymentMethod metadata and billing details', async () => {
    const stripe = h.stripe()
    const pm = await h.tokenize('visa')
    const updated = await stripe.paymentMethods.update(pm.id, {
      metadata: { label: 'work' },
      billing_details: { name: 'Ada', address: { postal_code: '10115' } },
    })
    expect(updated.metadata).toEqual({ label: 'work' })
    expect(updated.billing_details).toMatchObject({
      name: 'Ada',
      address: { postal_code: '10115', city: null },
    })
  })
})
