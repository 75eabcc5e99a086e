/**
 * workerd entry for the client core: a Worker that pays a stripe402 API with `createPayingFetch`.
 * Loaded without `nodejs_compat`, so any Node-only API the core reached for would fail here.
 */
import { createPayingFetch, getPaymentInfo } from '@stripe402/client'

declare const STRIPE402_CLIENT_CONFIG: { stripeApiBase: string }

// Module scope, as a Worker keeps a client between requests: the credential from the first call pays the next.
const pay = createPayingFetch({
  card: { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123' },
  stripeApiBase: STRIPE402_CLIENT_CONFIG.stripeApiBase,
  policy: { maxTopUp: 50_000, budget: { total: 50_000 } },
})

export default {
  /** `GET /?url=<paid API>&calls=<n>`: makes n calls and answers what each one got and paid. */
  async fetch(req: Request): Promise<Response> {
    const params = new URL(req.url).searchParams
    const target = params.get('url')
    if (!target) return new Response('missing url', { status: 400 })
    const calls = []
    for (let i = 0; i < Number(params.get('calls') ?? 1); i++) {
      const res = await pay(target)
      calls.push({ status: res.status, body: await res.text(), payment: getPaymentInfo(res) })
    }
    return Response.json({
      calls,
      hasProcess: typeof (globalThis as { process?: unknown }).process !== 'undefined',
    })
  },
}
