import { startStripeEmulator, type StripeEmulator } from '@stripe402/stripe-emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FixtureServer, startFixtureServer } from '../fixtures/server'
import { auditServer } from './run'
import { renderTable } from './table'

describe('auditServer', () => {
  let emu: StripeEmulator
  let server: FixtureServer
  beforeAll(async () => {
    emu = await startStripeEmulator({ port: 0 })
    server = await startFixtureServer({ stripeApi: emu.url, ...emu.keys() })
  })
  afterAll(async () => {
    await server.close()
    await emu.close()
  })

  const options = () => ({
    url: server.url,
    route: 'GET /api/joke',
    freeRoute: 'GET /health',
    failingRoute: 'GET /api/fail',
    streamingFailingRoute: 'GET /api/stream-fail',
    payment: { stripeApi: emu.url },
  })

  it('stops after the first audit, naming ECONNREFUSED, when the host is down', async () => {
    const closed = await startFixtureServer({ stripeApi: emu.url, ...emu.keys() })
    await closed.close()
    const report = await auditServer({ ...options(), url: closed.url })
    expect(report.results.map((r) => [r.id, r.status])).toEqual([['S402-CH-01', 'error']])
    expect(report.stopped).toMatch(/^Cannot reach http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/)
    expect(renderTable(report).trimEnd().split('\n').length).toBeLessThanOrEqual(12)
  })

  it('stops after the first audit when the route is not paid, naming its status', async () => {
    const missing = await auditServer({ ...options(), route: 'GET /api/jokes' })
    expect(missing.results).toHaveLength(1)
    expect(missing.stopped).toBe(
      `GET ${server.url}/api/jokes answered 404, not 402: it is not a paid route of this server (check --route and the base URL).`,
    )
    const free = await auditServer({ ...options(), route: 'GET /health', only: ['S402-PAY-01'] })
    expect(free.results.map((r) => r.id)).toEqual(['S402-CH-01'])
    expect(free.stopped).toMatch(/answered 200, not 402/)
  })

  it('runs at level v1 unless told otherwise, and refuses an extension audit there', async () => {
    const report = await auditServer({ ...options(), only: ['S402-CH-01', 'S402-PAY-04'] })
    expect(report.level).toBe('v1')
    expect(report.results.map((r) => [r.id, r.requiredAt, r.section])).toEqual([
      ['S402-CH-01', 'v1', '§2.4'],
      ['S402-PAY-04', 'v1', '§4.5'],
    ])
    await expect(auditServer({ ...options(), only: ['S402-CH-10'] })).rejects.toThrow(
      'S402-CH-10 is required at level stripe402, not v1: add --level stripe402.',
    )
    const ext = await auditServer({ ...options(), only: ['S402-CH-10'], level: 'stripe402' })
    expect(ext.results.map((r) => [r.id, r.status])).toEqual([['S402-CH-10', 'ok']])
  })

  it('passes twice in a row against a server that keeps its ledger, paying with new cards each run', async () => {
    const first = await auditServer({ ...options(), level: 'stripe402' })
    const second = await auditServer({ ...options(), level: 'stripe402' })
    expect(first.results.filter((r) => r.status !== 'ok')).toEqual([])
    expect(second.results.filter((r) => r.status !== 'ok')).toEqual([])
    expect(second.cards?.primary).not.toBe(first.cards?.primary)
    // Without fresh cards the second run meets the first run's credits: the verdict that motivated them.
    const fixed = { ...options(), freshCards: false, only: ['S402-PAY-03'] }
    expect((await auditServer(fixed)).ok).toBe(true)
    const again = await auditServer(fixed)
    expect(again.results[0]?.reason).toMatch(/creditsRemaining is \d+, expected minTopUp 50000/)
  }, 60_000)
})
