import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Stripe402Error } from '@stripe402/protocol'
import { describe, expect, it } from 'vitest'
import { readChallenge, readPayment, readReceipt } from './read'

/** spec/vectors/mcp/: the MCP binding's golden messages (spec §16.4), so the spec and this code cannot drift. */
const DIR = join(import.meta.dirname, '..', '..', '..', '..', 'spec', 'vectors', 'mcp')

function load(kind: 'request' | 'result'): Array<[string, Record<string, unknown>]> {
  return readdirSync(join(DIR, kind))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(join(DIR, kind, f), 'utf8'))])
}

const params = (message: unknown) => (message as { params?: { _meta?: unknown } }).params?._meta
const result = (message: unknown) => (message as { result?: unknown }).result

describe('spec/vectors/mcp', () => {
  it('has both folders, with payments, refusals, challenges and receipts among them', () => {
    const requests = load('request')
    const results = load('result')
    expect(requests.filter(([, v]) => v.payment !== null && 'payment' in v).length).toBeGreaterThan(
      1,
    )
    expect(requests.filter(([, v]) => 'error' in v).length).toBeGreaterThan(4)
    expect(results.filter(([, v]) => v.challenge !== null).length).toBeGreaterThan(1)
    expect(results.filter(([, v]) => v.receipt !== null).length).toBeGreaterThan(2)
  })

  describe('request', () => {
    for (const [file, vector] of load('request')) {
      it(`${file}: ${vector.description}`, () => {
        const keys = ['description', 'message', 'error' in vector ? 'error' : 'payment']
        expect(Object.keys(vector).sort()).toEqual(keys.sort())
        expect(vector.message).toMatchObject({ jsonrpc: '2.0', method: 'tools/call' })
        if ('error' in vector) {
          let thrown: unknown
          try {
            readPayment(params(vector.message))
          } catch (error) {
            thrown = error
          }
          expect(thrown).toBeInstanceOf(Stripe402Error)
          expect((thrown as Stripe402Error).code).toBe(vector.error)
          return
        }
        expect(readPayment(params(vector.message))).toEqual(vector.payment)
      })
    }
  })

  describe('result', () => {
    for (const [file, vector] of load('result')) {
      it(`${file}: ${vector.description}`, () => {
        expect(Object.keys(vector).sort()).toEqual(
          ['challenge', 'description', 'message', 'receipt'].sort(),
        )
        expect(readChallenge(result(vector.message)) ?? null).toEqual(vector.challenge)
        expect(readReceipt(result(vector.message)) ?? null).toEqual(vector.receipt)
      })
    }
  })
})
