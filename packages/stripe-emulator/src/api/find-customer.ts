/** Finds a live customer of an account, the one lookup the customer, PaymentMethod and PaymentIntent endpoints share. */
import { resourceMissing } from '../errors'
import type { Customer, DeletedCustomer } from '../objects/customer'
import type { Account } from '../state'

export function isDeleted(customer: Customer | DeletedCustomer): customer is DeletedCustomer {
  return 'deleted' in customer
}

/** A live customer; deleted ones count as missing. */
export function findCustomer(account: Account, id: string, param = 'id', status = 404): Customer {
  const customer = account.customers.get(id)
  if (!customer || isDeleted(customer)) throw resourceMissing('customer', id, param, status)
  return customer
}
