/** The answers on the wire: challenges that always fit the header cap, and only error codes the spec lists. */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  DEFAULT_MAX_HEADER_BYTES,
  decodePaymentRequired,
  decodePaymentResponse,
} from '@stripe402/protocol'
import { describe, expect, it } from 'vitest'
import { challengeResponse, challengeSpareBytes } from './responses'

const base = {
  amount: 500,
  currency: 'usd',
  minTopUp: 5_000,
  publishableKey: 'pk_test_51NqX2vLkdIwHu7ixTestKey0000000000',
  description: 'é'.repeat(900),
}

describe('challengeResponse', () => {
  it('cuts resource.url, then the message, so the payment-required header fits 8 KiB', () => {
    const url = `/api/joke?q=${'ü'.repeat(2_100)}`
    const message = 'ß'.repeat(1_024)
    const response = challengeResponse({
      ...base,
      url,
      code: 'card_declined',
      message,
      failure: {},
    })
    const header = response.headers['payment-required']!
    expect(header.length).toBeLessThanOrEqual(DEFAULT_MAX_HEADER_BYTES)
    const required = decodePaymentRequired(header)
    expect(JSON.parse(response.body)).toEqual(required)
    expect(url.startsWith(required.resource.url)).toBe(true)
    expect(required.resource.url.length).toBeGreaterThan(0)
    expect(required).toMatchObject({
      error: 'card_declined',
      resource: { description: base.description },
      accepts: [{ amount: 500, description: base.description }],
    })
    expect(message.startsWith(required.message ?? '')).toBe(true)
    expect(decodePaymentResponse(response.headers['payment-response'])).toMatchObject({
      success: false,
      errorCode: 'card_declined',
    })
  })

  it('leaves a challenge that fits untouched', () => {
    const required = decodePaymentRequired(
      challengeResponse({
        ...base,
        url: '/api/joke?x=1',
        code: 'insufficient_credits',
        message: 'Top up.',
      }).headers['payment-required'],
    )
    expect(required.resource.url).toBe('/api/joke?x=1')
    expect(required.message).toBe('Top up.')
  })

  it('never splits a character made of a surrogate pair', () => {
    const url = `/${'😀'.repeat(3_000)}`
    const required = decodePaymentRequired(
      challengeResponse({ ...base, url }).headers['payment-required'],
    )
    expect(required.resource.url).toMatch(/^\/(😀)+$/u)
  })

  it('reports how much room a route leaves for the URL and message', () => {
    expect(challengeSpareBytes({ ...base, description: 'x' })).toBeGreaterThan(5_000)
    expect(challengeSpareBytes({ ...base, description: '語'.repeat(1_000) })).toBeLessThan(0)
  })
})

describe('error codes the engine emits', () => {
  const root = join(import.meta.dirname, '..', '..', '..', '..')
  const table = new Map(
    [
      ...readFileSync(join(root, 'spec', 'stripe402.md'), 'utf8').matchAll(
        /^\| `(\w+)` \| (\d{3})([^|]*)\|/gm,
      ),
    ].map((m) => [m[1]!, { status: Number(m[2]), or4xx: /another 4xx/.test(m[3]!) }]),
  )
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) return sources(path)
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')
        ? [readFileSync(path, 'utf8')]
        : []
    })
  const code = sources(join(import.meta.dirname, '..')).join('\n')
  // refuse(engine, where, STATUS, 'code', …), errorResponse(STATUS, 'code', …), challenge(engine, request, 'code', …)
  const refusals = [
    ...code.matchAll(/refuse\(\s*engine,\s*(?:\{[^}]*\}|\w+),\s*([\w.]+),\s*'(\w+)'/g),
    ...code.matchAll(/errorResponse\(\s*([\w.]+),\s*'(\w+)'/g),
  ]
  const challenges = [...code.matchAll(/challenge\(\s*engine,\s*\w+,\s*'(\w+)'/g)]

  it("are each in the spec's error table, with the status the table gives", () => {
    expect(refusals.length).toBeGreaterThanOrEqual(10)
    expect(challenges.length).toBeGreaterThanOrEqual(10)
    for (const [, status, name] of refusals) {
      const row = table.get(name!)
      expect(row, `${name} is not in the spec's error table`).toBeDefined()
      if (/^\d{3}$/.test(status!)) expect(Number(status), name).toBe(row!.status)
      else
        expect(row!.or4xx, `${name} is sent with a computed status the table does not allow`).toBe(
          true,
        )
    }
    for (const [, name] of challenges)
      expect(table.get(name!)?.status, `${name} on a 402`).toBe(402)
  })
})
