/** A paid answer on a real node:http response: settled once, with the status its head went out with. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { PaidOutcome } from '../outcome'
import { startPaidNodeResponse } from './node-response'

function outcome(): PaidOutcome & { settled: number[] } {
  const settled: number[] = []
  return {
    type: 'paid',
    headers: { 'payment-response': 'e30=' },
    payment: { accountId: 'a', amount: 1, currency: 'usd', creditsRemaining: 0 },
    settle: async (status: number) => {
      settled.push(status)
    },
    settled,
  } as PaidOutcome & { settled: number[] }
}

let close: (() => Promise<void>) | undefined
afterEach(async () => {
  await close?.()
  close = undefined
})

/** Serves one request with `handle`, after starting paid answers for `outcomes` on it; resolves once it closed. */
async function serve(
  outcomes: PaidOutcome[],
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Response> {
  let closed!: Promise<void>
  const server = createServer((req, res) => {
    closed = new Promise((resolve) => res.on('close', () => setImmediate(resolve)))
    for (const paid of outcomes) startPaidNodeResponse(paid, res, req.socket)
    handle(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  close = () => new Promise((done) => server.close(() => done()))
  const { port } = server.address() as AddressInfo
  const response = await fetch(`http://127.0.0.1:${port}/`)
  await response.arrayBuffer()
  await closed
  return response
}

describe('startPaidNodeResponse', () => {
  it('settles with the status of the head, keeps it private and carries the receipt', async () => {
    const paid = outcome()
    const response = await serve([paid], (_req, res) => {
      res.setHeader('cache-control', 'public, max-age=60')
      res.writeHead(201, { 'Cache-Control': 'public', Vary: 'accept' })
      res.end('ok')
      // What a late error handler does: it changes statusCode, not what went out.
      res.statusCode = 500
    })
    expect(response.status).toBe(201)
    expect(response.headers.get('cache-control')).toBe('private, no-store')
    expect(response.headers.get('vary')).toBe('accept, payment')
    expect(response.headers.get('payment-response')).toBe('e30=')
    expect(paid.settled).toEqual([201])
  })

  it('settles every paywall that priced the response (two instances, app and router) alike', async () => {
    const first = outcome()
    const second = outcome()
    const response = await serve([first, second], (_req, res) => {
      res.statusCode = 503
      res.end('down')
    })
    expect(response.status).toBe(503)
    expect(response.headers.get('cache-control')).toBe('private, no-store')
    expect(first.settled).toEqual([503])
    expect(second.settled).toEqual([503])
  })

  it('settles 500 when the client was gone before the debit, and serves nothing', () => {
    const paid = outcome()
    const res = { setHeader: () => {}, on: () => {} } as never
    expect(startPaidNodeResponse(paid, res, { destroyed: true })).toBe(false)
    expect(paid.settled).toEqual([500])
  })
})
