/** Round trips per paid call of @stripe402/client: N calls through createPayingFetch, counted by the server that answers them. */
import { createPayingFetch, getPaymentInfo } from '@stripe402/client'
import { PAID_PATH } from './ipc'
import { VISA } from './payer'
import { startServerProcess } from './server-process'

export interface ClientResult {
  adapter: 'express'
  ledger: 'memory'
  calls: number
  /** Calls answered 200. */
  paidCalls: number
  /** HTTP requests the server received for the first call: 402 challenge, then the paid retry. */
  firstCallRequests: number
  /** Mean requests per call after the first: 1.0 when the credential goes up front. */
  steadyStateRequestsPerCall: number
  /** Mean over all calls, first included. */
  requestsPerCall: number
  /** Requests per call as the client itself reports them (`getPaymentInfo(res).requests`), summed. */
  clientReportedRequests: number
  /** Requests the client sent to the Stripe API (tokenizing the card). */
  stripeRequests: number
  /** Mean wall time per steady-state call, in milliseconds (one client, one call at a time). */
  steadyStateMsPerCall: number
  ok: boolean
}

export async function benchClient(
  stripe: { url: string },
  calls: number,
  log: (line: string) => void,
): Promise<ClientResult> {
  const server = await startServerProcess({
    adapter: 'express',
    ledger: 'memory',
    stripeApiBase: stripe.url,
  })
  if (typeof server === 'string')
    throw new Error(`the client bench's server could not start: ${server}`)
  try {
    let stripeRequests = 0
    const countingFetch: typeof fetch = (input, init) => {
      const url = input instanceof Request ? input.url : String(input)
      if (url.startsWith(stripe.url)) stripeRequests++
      return fetch(input, init)
    }
    const pay = createPayingFetch({
      card: VISA,
      stripeApiBase: stripe.url,
      policy: { maxAmountPerRequest: 100, maxTopUp: 10_000, budget: { total: 10_000 } },
      fetch: countingFetch,
    })
    const perCall: number[] = []
    let clientReported = 0
    let paidCalls = 0
    let steadyMs = 0
    for (let i = 0; i < calls; i++) {
      const before = (await server.stats()).requests[PAID_PATH] ?? 0
      const started = performance.now()
      const response = await pay(`${server.url}${PAID_PATH}`)
      await response.arrayBuffer()
      if (i > 0) steadyMs += performance.now() - started
      const after = (await server.stats()).requests[PAID_PATH] ?? 0
      perCall.push(after - before)
      clientReported += getPaymentInfo(response)?.requests ?? Number.NaN
      if (response.status === 200) paidCalls++
    }
    const total = perCall.reduce((a, b) => a + b, 0)
    const first = perCall[0] ?? Number.NaN
    const steady = calls > 1 ? (total - first) / (calls - 1) : Number.NaN
    const result: ClientResult = {
      adapter: 'express',
      ledger: 'memory',
      calls,
      paidCalls,
      firstCallRequests: first,
      steadyStateRequestsPerCall: steady,
      requestsPerCall: total / calls,
      clientReportedRequests: clientReported,
      stripeRequests,
      steadyStateMsPerCall: calls > 1 ? steadyMs / (calls - 1) : Number.NaN,
      ok: paidCalls === calls && first === 2 && steady === 1 && clientReported === total,
    }
    log(
      `  ${calls} paid calls: first ${first} requests, then ${steady.toFixed(3)} per call; ${stripeRequests} Stripe request(s)`,
    )
    return result
  } finally {
    await server.stop()
  }
}
