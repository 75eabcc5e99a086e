import {
  DEFAULT_ACCOUNT,
  expectedFingerprint,
  startStripeEmulator,
  type StripeEmulator,
} from '@stripe402/stripe-emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FixtureServer, startFixtureServer } from '../fixtures/server'
import { parseCard } from './args'
import { main } from './main'

async function run(argv: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await main(argv, {
    stdout: (t) => {
      stdout += t
    },
    stderr: (t) => {
      stderr += t
    },
  })
  return { code, stdout, stderr }
}

describe('stripe402-conformance', () => {
  let emu: StripeEmulator
  let good: FixtureServer
  let lenient: FixtureServer
  beforeAll(async () => {
    emu = await startStripeEmulator({ port: 0 })
    good = await startFixtureServer({ stripeApi: emu.url, ...emu.keys() })
    lenient = await startFixtureServer({
      stripeApi: emu.url,
      ...emu.keys(),
      faults: ['lenient-paths'],
    })
  })
  afterAll(async () => {
    await good.close()
    await lenient.close()
    await emu.close()
  })

  it('exits 0 and prints a table when every MUST holds', async () => {
    const { code, stdout } = await run([
      good.url,
      '--route',
      'GET /api/joke',
      '--free-route',
      'GET /health',
      '--stripe-api',
      emu.url,
    ])
    expect(code).toBe(0)
    expect(stdout).toMatch(
      /^✔ S402-CH-01 +MUST answer an unpaid request to the paid route with 402$/m,
    )
    expect(stdout).toContain('50 ok, 0 warnings, 0 errors: PASS (every MUST at level v1 holds)')
    const extensions = await run([
      good.url,
      '--route',
      'GET /api/joke',
      '--free-route',
      'GET /health',
      '--stripe-api',
      emu.url,
      '--level',
      'stripe402',
    ])
    expect(extensions.code).toBe(0)
    expect(extensions.stdout).toContain(
      '64 ok, 0 warnings, 0 errors: PASS (every MUST at level stripe402 holds)',
    )
  })

  it('exits 1 in a few lines naming the cause when the route is not paid', async () => {
    const { code, stdout } = await run([
      good.url,
      '--route',
      'GET /api/jokes',
      '--stripe-api',
      emu.url,
    ])
    expect(code).toBe(1)
    expect(stdout).toContain(
      `Stopped after the first audit: GET ${good.url}/api/jokes answered 404, not 402: it is not a paid route of this server (check --route and the base URL).`,
    )
    expect(stdout.trimEnd().split('\n').length).toBeLessThanOrEqual(15)
  })

  it('exits 1 and names each failing audit with its reason and the response that showed it', async () => {
    const { code, stdout } = await run([
      lenient.url,
      '--route',
      'GET /api/joke',
      '--stripe-api',
      emu.url,
      '--only',
      'S402-CH-01,S402-PATH-03',
    ])
    expect(code).toBe(1)
    expect(stdout).toContain(
      '✖ S402-PATH-03  MUST NOT serve the paid path with a trailing slash unpaid',
    )
    expect(stdout).toContain(
      '/api/joke/ was served without payment (200): the same resource as /api/joke for free.',
    )
    expect(stdout).toContain('request:  GET /api/joke/')
    expect(stdout).toContain('response: 200')
    expect(stdout).toContain('1 ok, 0 warnings, 1 error: FAIL (a MUST at level v1 does not hold)')
    expect(stdout).toContain('(spec §14.11, required at level v1)')
  })

  it('prints the report as JSON with --json and as Markdown with --markdown', async () => {
    const args = [
      lenient.url,
      '--route',
      'GET /api/joke',
      '--stripe-api',
      emu.url,
      '--only',
      'S402-PATH-05',
    ]
    const json = await run([...args, '--json'])
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      results: [
        {
          id: 'S402-PATH-05',
          level: 'MUST',
          status: 'error',
          evidence: { request: 'GET /API/JOKE', status: 200 },
        },
      ],
    })
    const markdown = await run([...args, '--markdown'])
    expect(markdown.stdout).toContain(
      '| ❌ | `S402-PATH-05` | MUST NOT serve the paid path in another letter case unpaid |',
    )
    expect(markdown.stdout).toContain('<details><summary>Evidence</summary>')
  })

  it('pays with the card given by --card', async () => {
    const { code } = await run([
      good.url,
      '--route',
      '/api/joke',
      '--stripe-api',
      emu.url,
      '--card',
      '6011111111111117|12|2040|123',
      '--only',
      'S402-PAY-03',
    ])
    expect(code).toBe(0)
    const discover = expectedFingerprint(DEFAULT_ACCOUNT, '6011111111111117')
    expect(emu.charges().filter((c) => c.fingerprint === discover)).toMatchObject([
      { amount: 500, currency: 'usd', status: 'succeeded' },
    ])
  })

  it.each([
    [[], /Missing <baseUrl>/],
    [['http://localhost:3000'], /Missing --route/],
    [['http://localhost:3000', '--route', 'api/joke'], /--route must look like "GET \/api\/joke"/],
    [['localhost:3000', '--route', 'GET /api/joke'], /<baseUrl> must be an http\(s\) URL/],
    [
      ['http://localhost:3000', '--route', 'GET /x', '--card', '4242|1'],
      /--card must be number\|mm\|yyyy\|cvc/,
    ],
    [['http://localhost:3000', '--route', 'GET /x', '--bogus'], /Unknown option '--bogus'/],
    [
      ['http://localhost:3000', '--route', 'GET /x', '--level', 'v2'],
      /--level must be v1 or stripe402/,
    ],
    [
      ['http://localhost:3000', '--route', 'GET /x', '--json', '--markdown'],
      /Choose one of --json and --markdown/,
    ],
  ])('exits 2 on a usage error: %j', async (argv, message) => {
    const { code, stderr } = await run(argv)
    expect(code).toBe(2)
    expect(stderr).toMatch(message)
    expect(stderr).toContain('Usage: stripe402-conformance')
  })

  it('exits 2 on an unknown --only id, before sending anything', async () => {
    const { code, stderr } = await run([
      good.url,
      '--route',
      'GET /api/joke',
      '--only',
      'S402-XX-99',
    ])
    expect(code).toBe(2)
    expect(stderr).toContain('Unknown audit id S402-XX-99')
  })

  it('prints help with exit 0', async () => {
    const { code, stdout } = await run(['--help'])
    expect(code).toBe(0)
    expect(stdout).toContain('--stripe-api URL')
  })
})

describe('parseCard', () => {
  it('reads number|mm|yyyy|cvc, or a bare number with a future expiry', () => {
    expect(parseCard('378282246310005|01|2031|1234')).toEqual({
      number: '378282246310005',
      exp_month: 1,
      exp_year: 2031,
      cvc: '1234',
    })
    expect(parseCard('4242 4242 4242 4242')).toMatchObject({
      number: '4242424242424242',
      cvc: '123',
    })
    expect(() => parseCard('4242424242424242|13|2031|123')).toThrow(/month must be 1–12/)
  })
})
