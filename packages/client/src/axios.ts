/** axios entry: the same paying core, plugged into an axios instance through axios's fetch adapter. */
import type { AxiosError, AxiosInstance, AxiosResponse } from 'axios'
import type { PayingFetchOptions } from './options'
import { getPaymentInfo, type PaymentInfo } from './payment-info'
import { createPayingFetch, type PayingFetch } from './paying-fetch'

export type { PaymentInfo } from './payment-info'

/** The instance, now paying, with the paying fetch behind it (for `wallet()` and `journal()`). */
export type Stripe402Axios<T extends AxiosInstance> = T & { stripe402: PayingFetch }

/**
 * Makes every request of `instance` pay stripe402 challenges within `options.policy`. A
 * request interceptor routes requests through axios's fetch adapter with the paying fetch
 * as its `fetch`, so up-front credentials, budgets and single flight behave exactly as with
 * `createPayingFetch`. A refused or failed payment rejects as axios does for any 402;
 * `getAxiosPaymentInfo(error)` says why.
 */
export function withStripe402<T extends AxiosInstance>(
  instance: T,
  options: PayingFetchOptions = {},
): Stripe402Axios<T> {
  const pay = createPayingFetch(options)
  // axios hands the fetch a Request and exposes that same object as `response.request`.
  const byRequest = new WeakMap<object, PaymentInfo>()
  const fetchForAxios = async (
    input: URL | Request | string,
    init?: RequestInit,
  ): Promise<Response> => {
    const response = await pay(input, init)
    const info = getPaymentInfo(response)
    if (info && typeof input === 'object') byRequest.set(input, info)
    return response
  }
  instance.interceptors.request.use((config) => {
    config.adapter = 'fetch'
    config.env = { ...config.env, fetch: fetchForAxios }
    return config
  })
  const attach = (target: object, request: unknown) => {
    const info =
      typeof request === 'object' && request !== null ? byRequest.get(request) : undefined
    if (info)
      Object.defineProperty(target, 'stripe402', {
        value: info,
        enumerable: false,
        configurable: true,
      })
  }
  instance.interceptors.response.use(
    (response) => {
      attach(response, response.request)
      return response
    },
    (error: unknown) => {
      const response = (error as AxiosError | undefined)?.response
      if (response) {
        attach(response, response.request)
        attach(error as object, response.request)
      }
      return Promise.reject(error)
    },
  )
  return Object.assign(instance, { stripe402: pay })
}

/** Payment details of an axios response, or of the error axios threw for a 402. */
export function getAxiosPaymentInfo(
  responseOrError: AxiosResponse | AxiosError | unknown,
): PaymentInfo | undefined {
  const own = (value: unknown): PaymentInfo | undefined =>
    typeof value === 'object' && value !== null
      ? (value as { stripe402?: PaymentInfo }).stripe402
      : undefined
  return own(responseOrError) ?? own((responseOrError as { response?: unknown } | null)?.response)
}
