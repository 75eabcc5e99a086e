// Request bodies survive the paid retry: the API receives the same bytes on the 402'd send and on the paid one.
import { describe, expect, it } from 'vitest'
import { CARDS, useStack } from '../../test/support/stack'
import { createPayingFetch, getPaymentInfo, Stripe402ClientError } from '../index'

const stack = useStack()
const bytes = new Uint8Array([0, 1, 2, 254, 255, 10, 13])

describe('POST bodies replay', () => {
  const form = () => {
    const data = new FormData()
    data.append('name', 'agent')
    data.append('file', new Blob(['file contents'], { type: 'text/plain' }), 'notes.txt')
    return data
  }
  const cases: [
    string,
    () => RequestInit,
    (echo: { body: string; bytes: string; contentType: string | null }) => void,
  ][] = [
    ['a string', () => ({ body: 'hello world' }), (e) => expect(e.body).toBe('hello world')],
    [
      'JSON',
      () => ({
        body: JSON.stringify({ city: 'Zürich', n: 1 }),
        headers: { 'content-type': 'application/json' },
      }),
      (e) => expect(JSON.parse(e.body)).toEqual({ city: 'Zürich', n: 1 }),
    ],
    [
      'URLSearchParams',
      () => ({ body: new URLSearchParams({ q: 'a&b', page: '2' }) }),
      (e) => {
        expect(e.body).toBe('q=a%26b&page=2')
        expect(e.contentType).toContain('application/x-www-form-urlencoded')
      },
    ],
    [
      'FormData',
      () => ({ body: form() }),
      (e) => {
        expect(e.contentType).toMatch(/^multipart\/form-data; boundary=/)
        expect(e.body).toContain('file contents')
        expect(e.body).toContain('name="name"')
      },
    ],
    [
      'a Blob',
      () => ({ body: new Blob([bytes], { type: 'application/octet-stream' }) }),
      (e) => expect(e.bytes).toBe(Buffer.from(bytes).toString('hex')),
    ],
    [
      'an ArrayBuffer',
      () => ({ body: bytes.slice().buffer }),
      (e) => expect(e.bytes).toBe(Buffer.from(bytes).toString('hex')),
    ],
    [
      'a Uint8Array',
      () => ({ body: bytes.slice() }),
      (e) => expect(e.bytes).toBe(Buffer.from(bytes).toString('hex')),
    ],
  ]

  it.each(cases)('%s', async (_name, init, check) => {
    const pay = createPayingFetch({ card: CARDS.visa, stripeApiBase: stack.emulator.url })
    const res = await pay(`${stack.api.url}/api/echo`, { method: 'POST', ...init() })
    expect(res.status).toBe(200)
    expect(getPaymentInfo(res)?.requests).toBe(2)
    check(await res.json())
    const [unpaid, paid] = stack.api.requests
    expect(unpaid?.payment).toBeUndefined()
    expect(paid?.payment?.paymentMethodId).toBeDefined()
    expect(paid?.body).toBe(unpaid?.body)
    expect(paid?.body).not.toBe('')
    expect(paid?.contentType).toBe(unpaid?.contentType)
  })

  it('a Request object, body and headers included', async () => {
    const pay = createPayingFetch({ card: CARDS.visa, stripeApiBase: stack.emulator.url })
    const request = new Request(`${stack.api.url}/api/echo`, {
      method: 'POST',
      body: 'from a Request',
      headers: { 'content-type': 'text/x-agent', 'x-trace': '7' },
    })
    const res = await pay(request)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ body: 'from a Request', contentType: 'text/x-agent' })
    expect(stack.api.requests.map((r) => r.body)).toEqual([
      Buffer.from('from a Request').toString('hex'),
      Buffer.from('from a Request').toString('hex'),
    ])
  })

  it('refuses a one-shot stream body with a clear error instead of sending it empty', async () => {
    const pay = createPayingFetch({ card: CARDS.visa, stripeApiBase: stack.emulator.url })
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('once'))
        controller.close()
      },
    })
    const error = await pay(`${stack.api.url}/api/echo`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Stripe402ClientError)
    expect(error).toMatchObject({
      code: 'body_not_replayable',
      message: expect.stringContaining('stream body can be read only once'),
    })
    expect(stack.api.requests).toEqual([])
  })
})
