// Issue 15 acceptance, end to end with the SDK's own Client over stdio and Streamable HTTP: the
// stripe402-mcp bin (a local card, a wallet file) pays the example API (apps/example) and paid MCP
// tools, both charging through the Stripe emulator.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  type AgentProcess,
  paymentOf,
  startAgent,
  type TransportName,
  textOf,
} from '../test/agent-process'
import {
  type RunningApi,
  type RunningTools,
  startExampleApi,
  startPaidTools,
} from '../test/servers'
import { succeeded, useEmulator } from '../test/stack'

const stack = useEmulator()

describe.each<TransportName>(['stdio', 'http'])('stripe402-mcp over %s', (transport) => {
  let api: RunningApi
  let tools: RunningTools
  let agent: AgentProcess

  beforeEach(async () => {
    api = await startExampleApi(stack.emulator)
    tools = await startPaidTools(stack.emulator)
    // One top-up of $5 is the whole budget.
    agent = await startAgent(transport, [
      '--budget-total',
      '50000',
      '--stripe-api',
      stack.emulator.url,
    ])
  })

  afterEach(async () => {
    await agent.close()
    await Promise.all([api.close(), tools.close()])
  })

  it('pays once, spends credits, and stops at its cap', async () => {
    const joke = `${api.url}/api/joke`
    const first = await agent.call('fetch_paid', { url: joke })
    expect(first.isError).toBeFalsy()
    expect(textOf(first)).toContain('"joke"')
    expect(paymentOf(first)).toMatchObject({ outcome: 'paid', amount: 500, charged: 50_000 })
    for (const left of [49_000, 48_500]) {
      const next = await agent.call('fetch_paid', { url: joke })
      expect(paymentOf(next)).toMatchObject({ outcome: 'paid', amount: 500 })
      expect(paymentOf(next)?.charged).toBeUndefined()
      expect(paymentOf(next)?.creditsRemaining).toBe(left)
    }

    // Over this call's maxPrice: nothing paid, and the model is told what to do.
    const capped = await agent.call('fetch_paid', { url: joke, maxPrice: 100 })
    expect(capped.isError).toBe(true)
    expect(textOf(capped)).toMatch(/price_above_max.*Nothing was paid.*higher maxPrice/s)

    // The example's dynamically priced report: a year costs 36,500 units, paid from credits.
    const year = `${api.url}/api/report?days=365`
    const report = await agent.call('fetch_paid', { url: year })
    expect(textOf(report)).toContain('"days":365')
    expect(paymentOf(report)).toMatchObject({
      outcome: 'paid',
      amount: 36_500,
      creditsRemaining: 12_000,
    })

    // Credits no longer cover another year, and another top-up would pass the total budget.
    const dear = await agent.call('fetch_paid', { url: year })
    expect(dear.isError).toBe(true)
    expect(textOf(dear)).toMatch(/budget_exceeded.*ask the user to raise the budget/s)

    const after = await agent.call('fetch_paid', { url: joke })
    expect(paymentOf(after)?.creditsRemaining).toBe(11_500)
    expect(succeeded(stack.emulator)).toHaveLength(1)
    expect(succeeded(stack.emulator)[0]).toMatchObject({ amount: 500, currency: 'usd' })

    const wallet = await agent.call('wallet')
    expect(textOf(wallet)).toContain(`${api.url}: $1.15 (11500 units) of credits left`)
    expect(wallet.structuredContent).toMatchObject({
      budgets: { usd: { total: { limit: 50_000, left: 0 } } },
    })
  })

  it('prices a URL without paying, from the price list', async () => {
    const priced = await agent.call('price_of', { url: `${api.url}/api/joke` })
    expect(priced.structuredContent).toMatchObject({
      priced: true,
      amount: 500,
      currency: 'usd',
      minTopUp: 50_000,
      source: 'price list',
    })
    expect(textOf(priced)).toContain('$0.05 (500 units)')
    const free = await agent.call('price_of', { url: `${api.url}/health` })
    expect(free.structuredContent).toMatchObject({ priced: false })
    expect(stack.emulator.charges()).toHaveLength(0)
  })

  it('pays a paid MCP tool once, spends credits, and is not charged for a tool that throws', async () => {
    const forecast = { server: tools.url, tool: 'forecast', arguments: { city: 'Paris' } }
    const first = await agent.call('call_paid_tool', forecast)
    expect(first.isError).toBeFalsy()
    expect(textOf(first)).toContain('Paris: sunny')
    expect(paymentOf(first)).toMatchObject({
      outcome: 'paid',
      amount: 500,
      charged: 50_000,
      creditsRemaining: 49_500,
    })

    const broken = await agent.call('call_paid_tool', { server: tools.url, tool: 'broken' })
    expect(broken.isError).toBe(true)
    expect(textOf(broken)).toContain('the forecast service is down')
    expect(tools.runs.broken).toBe(1)

    const second = await agent.call('call_paid_tool', forecast)
    expect(paymentOf(second)).toMatchObject({
      outcome: 'paid',
      amount: 500,
      creditsRemaining: 49_000,
    })
    expect(paymentOf(second)?.charged).toBeUndefined()
    expect(tools.runs.forecast).toBe(2)
    expect(succeeded(stack.emulator)).toHaveLength(1)
    // The receipt's credential stays out of what the model reads.
    expect(JSON.stringify(second)).not.toContain('stripe402/payment-response')
  })
})
