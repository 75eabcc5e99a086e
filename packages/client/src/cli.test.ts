// The `stripe402` CLI end to end: a real process against the real API and the emulator, with a wallet file.
import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Writable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { main } from './cli'
import { startPaidApi } from '../test/support/paid-api'
import { CARDS, useStack } from '../test/support/stack'

const stack = useStack()
const packageDir = resolve(__dirname, '..')
const tsx = resolve(packageDir, '../../node_modules/.bin/tsx')
const cardEnv = (card: typeof CARDS.visa) =>
  `${card.number}|${card.exp_month}|${card.exp_year}|${card.cvc}`
let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stripe402-cli-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

interface Run {
  code: number
  stdout: string
  stderr: string
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(
      tsx,
      ['src/cli.ts', ...args],
      {
        cwd: packageDir,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: dir,
          STRIPE402_CARD: cardEnv(CARDS.visa),
          ...env,
        },
      },
      (error, stdout, stderr) =>
        done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    )
  })
}

const fetchArgs = (path: string, ...more: string[]) => [
  'fetch',
  `${stack.api.url}${path}`,
  '--stripe-api',
  stack.emulator.url,
  '--wallet',
  join(dir, 'wallet.json'),
  ...more,
]

describe('stripe402 fetch', () => {
  it('pays, prints the body to stdout and one summary line to stderr, then stays at one round trip across runs', async () => {
    const first = await cli(fetchArgs('/api/joke'))
    expect(first).toMatchObject({
      code: 0,
      stdout: JSON.stringify({ joke: 'A 402 walks into a bar.' }),
    })
    expect(first.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(first.stderr).toMatch(
      /^stripe402: 200 OK · used \$0\.05 of credits · charged \$5\.00 to the card \(pi_\w+\) · \$4\.95 of credits left at http:\/\/127\.0\.0\.1:\d+ · 2 requests\n$/,
    )
    expect(first.stderr).not.toContain(CARDS.visa.number)

    const second = await cli(fetchArgs('/api/joke'))
    expect(second.code).toBe(0)
    expect(second.stderr).toContain('· 1 request')
    expect(stack.api.requests).toHaveLength(3)
    expect(stack.emulator.charges()).toHaveLength(1)
  })

  it('sends -X, -H and -d like curl, and replays the body on the paid retry', async () => {
    const run = await cli(
      fetchArgs(
        '/api/echo',
        '-X',
        'POST',
        '-H',
        'content-type: application/json',
        '-d',
        '{"q":"weather"}',
      ),
    )
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({
      body: '{"q":"weather"}',
      contentType: 'application/json',
    })
    expect(stack.api.requests.map((r) => Buffer.from(r.body, 'hex').toString())).toEqual([
      '{"q":"weather"}',
      '{"q":"weather"}',
    ])
  })

  it('prints the status, body and payment as JSON with --json', async () => {
    const run = await cli(fetchArgs('/api/joke', '--json'))
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({
      status: 200,
      ok: true,
      body: { joke: 'A 402 walks into a bar.' },
      payment: { outcome: 'paid', amount: 500, requests: 2 },
    })
  })

  it('never prints the credential, which spends the credits (issue 13, finding 9)', async () => {
    const issued = await cli(fetchArgs('/api/joke', '--json'))
    const upFront = await cli(fetchArgs('/api/joke', '--json'))
    expect([issued.code, upFront.code]).toEqual([0, 0])
    // The credential the server issued on the first run, sent up front on the second.
    const credential = stack.api.requests.at(-1)?.payment?.clientId
    expect(credential).toEqual(expect.any(String))
    for (const run of [issued, upFront]) {
      const printed = JSON.parse(run.stdout) as { headers: Record<string, string> }
      expect(printed.headers['payment-response']).toBe('[redacted]')
      expect(run.stdout + run.stderr).not.toContain(credential)
      // Nor base64-encoded, as the receipt header carries it.
      for (const value of Object.values(printed.headers))
        expect(Buffer.from(value, 'base64').toString()).not.toContain(credential)
    }
  })

  it('exits 2 when the policy refuses, without calling Stripe', async () => {
    const run = await cli(fetchArgs('/api/joke', '--max-amount', '100'))
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('refused by policy (price_above_max)')
    expect(stack.emulator.requests()).toEqual([])
  })

  it('exits 2 when the daily budget cannot fit the top-up', async () => {
    const run = await cli(fetchArgs('/api/joke', '--budget-daily', '10000'))
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('budget_exceeded')
    expect(stack.emulator.requests()).toEqual([])
  })

  it('exits 2 for an origin outside --allow-origin', async () => {
    const run = await cli(fetchArgs('/api/joke', '--allow-origin', 'https://api.example.com'))
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('origin_not_allowed')
  })

  it('exits 3 when the card is declined', async () => {
    const run = await cli(fetchArgs('/api/joke'), { STRIPE402_CARD: cardEnv(CARDS.declined) })
    expect(run.code).toBe(3)
    expect(run.stderr).toContain('payment failed (card_declined)')
    expect(stack.emulator.charges({ status: 'succeeded' })).toEqual([])
  })

  it('exits 4 on an HTTP error that is not about payment', async () => {
    const run = await cli(fetchArgs('/missing'))
    expect(run.code).toBe(4)
    expect(run.stderr).toMatch(/^stripe402: 404 Not Found · no payment/)
  })

  it('pays with --payment-method instead of a card', async () => {
    const tokenized = await fetch(`${stack.emulator.url}/v1/payment_methods`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.emulator.keys().publishableKey}` },
      body: new URLSearchParams({
        type: 'card',
        'card[number]': '4242424242424242',
        'card[exp_month]': '12',
        'card[exp_year]': '2034',
        'card[cvc]': '123',
      }),
    })
    const { id } = (await tokenized.json()) as { id: string }
    const run = await cli(fetchArgs('/api/joke', '--payment-method', id), { STRIPE402_CARD: '' })
    expect(run.code).toBe(0)
    expect(stack.api.requests.at(-1)?.payment?.paymentMethodId).toBe(id)
  })

  it('says when the credits the wallet held vanished from the server (a wiped ledger) before topping up again (issue 17)', async () => {
    expect((await cli(fetchArgs('/api/joke'))).code).toBe(0)
    // The API restarts at the same origin on an empty ledger: the $4.95 of credits are gone.
    const port = Number(new URL(stack.api.url).port)
    await stack.api.close()
    stack.api = await startPaidApi(stack.emulator, { port })

    const again = await cli(fetchArgs('/api/joke'))
    expect(again.code).toBe(0)
    expect(again.stderr).toContain(
      `$4.95 of credits held at ${stack.api.url} vanished: its server no longer knows this wallet's credential`,
    )
    expect(again.stderr).toMatch(/charged \$5\.00 to the card \(pi_\w+\) · \$4\.95 of credits left/)
    expect(stack.emulator.charges()).toHaveLength(2)
    const json = await cli(fetchArgs('/api/joke', '--json'))
    expect(JSON.parse(json.stdout).payment.creditsVanished).toBeUndefined()
    expect(json.stderr).not.toContain('vanished')
  })

  it('exits 1 on usage errors, without echoing a malformed card', async () => {
    expect((await cli(['fetch'])).code).toBe(1)
    expect((await cli(fetchArgs('/api/joke', '--max-amount', '0.05'))).stderr).toContain(
      'whole number of units',
    )
    const badCard = await cli(fetchArgs('/api/joke'), { STRIPE402_CARD: '5555555555554444|13' })
    expect(badCard.code).toBe(1)
    expect(badCard.stderr).not.toContain('5555555555554444')
    expect(stack.api.requests).toEqual([])
  })
})

describe('stripe402 usage (issue 17)', () => {
  it('with no arguments prints the usage to stderr and fails', async () => {
    const run = await cli([])
    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain('Usage: stripe402 <command>')
  })

  it('names an unknown flag in one line and suggests the closest known one', async () => {
    const run = await cli(fetchArgs('/api/joke', '--max-amout', '100'))
    expect(run.code).toBe(1)
    expect(run.stderr).toBe(
      'stripe402: unknown option --max-amout (did you mean --max-amount?). Run "stripe402 fetch --help" for the options.\n',
    )
    const wallet = await cli(['wallet', '--walet', 'w.json'])
    expect(wallet.code).toBe(1)
    expect(wallet.stderr).toContain('unknown option --walet (did you mean --wallet?)')
    const missing = await cli(fetchArgs('/api/joke', '--max-amount'))
    expect(missing.stderr).toBe('stripe402: --max-amount needs a value.\n')
    expect(stack.api.requests).toEqual([])
  })

  it('says how to configure a card when none is, not the library words', async () => {
    const run = await cli(fetchArgs('/api/joke'), { STRIPE402_CARD: '' })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(
      'no card configured: set STRIPE402_CARD=number|mm|yyyy|cvc or pass --payment-method',
    )
    expect(run.stderr).not.toContain('paymentMethod callback')
  })

  it.each([
    ['5555555555554444|12|2034|12', 'the CVC must be 3 or 4 digits'],
    ['5555555555554444|12|2034|12345', 'the CVC must be 3 or 4 digits'],
    ['5555 4444|12|2034|123', 'the card number must be 12 to 19 digits'],
    ['5555555555554444|13|2034|123', 'the expiry month must be 1 to 12'],
    ['5555555555554444|12|34x|123', 'the expiry year must be 2 or 4 digits'],
    ['5555555555554444|12|2034', 'it has 3 fields, not 4 (number|mm|yyyy|cvc)'],
  ])('names the bad field of STRIPE402_CARD=%s without echoing the number', async (card, says) => {
    const run = await cli(fetchArgs('/api/joke'), { STRIPE402_CARD: card })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(`STRIPE402_CARD: ${says}`)
    expect(run.stderr).not.toMatch(/5555|4444/)
    expect(stack.api.requests).toEqual([])
  })
})

describe('on a terminal (issue 17)', () => {
  /** stdout and stderr as one terminal: what a person sees, in order. */
  function terminal(isTTY: boolean) {
    const screen: string[] = []
    const sink = (tty: boolean) =>
      Object.assign(
        new Writable({
          write(chunk, _encoding, done) {
            screen.push(String(chunk))
            done()
          },
        }),
        { isTTY: tty },
      )
    const env = { STRIPE402_CARD: cardEnv(CARDS.visa) }
    const io = { stdout: sink(isTTY), stderr: sink(isTTY), stdin: process.stdin, env }
    return { io, screen }
  }

  it('ends a body without a trailing newline before the summary, so they never share a line', async () => {
    const args = fetchArgs('/api/joke')
    const tty = terminal(true)
    await main(args, tty.io)
    const lines = tty.screen.join('').split('\n')
    expect(lines[0]).toBe(JSON.stringify({ joke: 'A 402 walks into a bar.' }))
    expect(lines[1]).toMatch(/^stripe402: 200 OK · used \$0\.05 of credits/)

    // Piped, the body is passed on byte for byte, as curl does.
    const piped = terminal(false)
    await main(args, piped.io)
    expect(piped.screen[0]).toBe(JSON.stringify({ joke: 'A 402 walks into a bar.' }))
    expect(piped.screen[1]).toMatch(/^stripe402: 200 OK/)
  })
})

describe('a 402 that is not stripe402 (issue 17)', () => {
  /** A server answering every request with the 402 a test gives it. */
  async function serve402(headers: Record<string, string>, body: string): Promise<Server> {
    const server = createServer((_req, res) => {
      res.writeHead(402, headers)
      res.end(body)
    })
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    return server
  }

  it.each([
    [
      'a plain 402',
      {},
      'Payment Required',
      'no payment-required header, and a body that is not JSON',
    ],
    [
      'an x402 challenge',
      { 'content-type': 'application/json' },
      JSON.stringify({ x402Version: 1, error: 'X-PAYMENT header is required', accepts: [] }),
      'it is an x402 challenge, another payment scheme',
    ],
    [
      'a malformed payment-required header',
      { 'payment-required': 'not-base64-json!' },
      '',
      'its payment-required header is malformed',
    ],
  ])('%s: the summary and --json say why nothing was paid', async (_name, headers, body, why) => {
    const server = await serve402(headers, body)
    try {
      const { port } = server.address() as AddressInfo
      const url = `http://127.0.0.1:${port}/api/thing`
      const wallet = join(dir, 'wallet.json')
      const run = await cli(['fetch', url, '--wallet', wallet])
      expect(run.code).toBe(4)
      expect(run.stderr).toBe(
        `stripe402: 402 Payment Required · no payment (not_stripe402): A 402 that is not a stripe402 challenge: ${why}. · 1 request\n`,
      )
      const json = await cli(['fetch', url, '--wallet', wallet, '--json'])
      expect(JSON.parse(json.stdout).payment).toMatchObject({
        outcome: 'none',
        reason: 'not_stripe402',
        message: `A 402 that is not a stripe402 challenge: ${why}.`,
      })
    } finally {
      server.closeAllConnections()
      await new Promise((done) => server.close(done))
    }
  })
})

describe('stripe402 wallet', () => {
  it('prints balances and spend per origin as a table', async () => {
    await cli(fetchArgs('/api/joke'))
    await cli(fetchArgs('/api/joke'))
    const run = await cli(['wallet', '--wallet', join(dir, 'wallet.json')])
    expect(run.code).toBe(0)
    const lines = run.stdout.split('\n')
    expect(lines[0]).toMatch(
      /^ORIGIN\s+CURRENCY\s+CREDITS LEFT\s+CHARGED\s+USED\s+TOP-UPS\s+CALLS$/,
    )
    expect(lines[1]).toMatch(
      new RegExp(
        `^${stack.api.url.replace(/\./g, '\\.')}\\s+USD\\s+\\$4\\.90\\s+\\$5\\.00\\s+\\$0\\.10\\s+1\\s+2$`,
      ),
    )
    expect(run.stdout).toContain(
      'Charged to the card in USD: today $5.00, this month $5.00, total $5.00',
    )

    const json = await cli(['wallet', '--wallet', join(dir, 'wallet.json'), '--json'])
    expect(JSON.parse(json.stdout)).toMatchObject({
      origins: [{ creditsRemaining: 49_000, spent: 50_000, calls: 2 }],
    })
  })

  it('shows a top-up the server never confirmed as unconfirmed, never as charged, until a replay settles it (issue 17)', async () => {
    // Stripe charges, then the server never hears so (its retry too): it answers 503, no receipt.
    stack.emulator.inject({
      path: '/v1/payment_intents',
      afterResponse: true,
      drop: true,
      times: 2,
    })
    const lost = await cli(fetchArgs('/api/joke'))
    expect(lost.code).toBe(4)
    expect(lost.stderr).toMatch(/^stripe402: 503 Service Unavailable · no payment · /)
    expect(lost.stderr).toContain(
      'top-up of $5.00 unconfirmed (no answer named a charge, so the card may or may not have been charged; budgets count it)',
    )
    expect(lost.stderr).not.toContain('charged $5.00 to the card')

    const wallet = join(dir, 'wallet.json')
    const unsure = await cli(['wallet', '--wallet', wallet])
    const row = unsure.stdout.split('\n')[1] ?? ''
    // CREDITS LEFT, CHARGED, USED, TOP-UPS, CALLS: nothing confirmed as charged.
    expect(row).toMatch(/\s+USD\s+\$0\.00\s+\$0\.00\s+\$0\.00\s+1\s+0$/)
    expect(unsure.stdout).toContain(
      `Unconfirmed at ${stack.api.url}: 1 top-up of $5.00; charged? unknown (no answer named a charge). Budgets count it.`,
    )
    expect(unsure.stdout).toContain('Charged to the card or unconfirmed in USD: today $5.00')
    const json = JSON.parse((await cli(['wallet', '--wallet', wallet, '--json'])).stdout)
    expect(json.origins[0]).toMatchObject({
      spent: 50_000,
      unconfirmed: 50_000,
      unconfirmedTopUps: 1,
    })

    // The next top-up replays the same key: Stripe answers for the one charge, now confirmed.
    const replayed = await cli(fetchArgs('/api/joke'))
    expect(replayed.code).toBe(0)
    expect(replayed.stderr).toMatch(/charged \$5\.00 to the card \(pi_\w+\)/)
    expect(stack.emulator.charges()).toHaveLength(1)
    const sure = await cli(['wallet', '--wallet', wallet])
    expect(sure.stdout.split('\n')[1]).toMatch(/\s+\$4\.95\s+\$5\.00\s+\$0\.05\s+1\s+1$/)
    expect(sure.stdout).not.toContain('nconfirmed')
  })

  it('says so when nothing was paid yet', async () => {
    const run = await cli(['wallet', '--wallet', join(dir, 'none.json')])
    expect(run).toMatchObject({ code: 0, stdout: 'The wallet is empty: nothing paid yet.\n' })
  })
})
