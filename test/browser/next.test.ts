// @stripe402/fetch in Next.js: a route handler with withPaywall, built by `next build`, served by `next start`.
import { type ChildProcess, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { resolve } from 'node:path'
import { createPayingFetch, getPaymentInfo } from '@stripe402/client'
import { decodePaymentRequired, decodePaymentResponse } from '@stripe402/protocol'
import { type StripeEmulator, startStripeEmulator } from '@stripe402/stripe-emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const appDir = resolve(__dirname, 'next-app')
const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next')

/** Runs the Next CLI; resolves with its output when it exits 0. */
function runNext(args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [nextBin, ...args], {
      env: { ...process.env, ...env, NEXT_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('error', fail)
    child.on('exit', (code) =>
      code === 0 ? done(output) : fail(new Error(`next ${args[0]} exited ${code}:\n${output}`)),
    )
  })
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => done(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/** `next start` on a free port; resolves once it prints that it is ready. */
async function startNext(
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort()
  const child = spawn(
    process.execPath,
    [nextBin, 'start', appDir, '--port', String(port), '--hostname', '127.0.0.1'],
    {
      env: { ...process.env, ...env, NEXT_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  await new Promise<void>((ready, fail) => {
    const read = (chunk: Buffer) => {
      output += chunk
      if (/Ready in/.test(output)) ready()
    }
    child.stdout?.on('data', read)
    child.stderr?.on('data', read)
    child.once('error', fail)
    child.once('exit', (code) => fail(new Error(`next start exited ${code}:\n${output}`)))
  })
  return { url: `http://127.0.0.1:${port}`, child }
}

describe('@stripe402/fetch in a Next.js app (next build, next start)', () => {
  let emulator: StripeEmulator
  let next: { url: string; child: ChildProcess } | undefined
  let buildOutput = ''

  beforeAll(async () => {
    buildOutput = await runNext(['build', appDir])
    emulator = await startStripeEmulator({ port: 0 })
    const keys = emulator.keys()
    // The route reads these at request time, not at build time.
    next = await startNext({
      STRIPE_SECRET_KEY: keys.secretKey,
      STRIPE_PUBLISHABLE_KEY: keys.publishableKey,
      STRIPE_API_BASE: emulator.url,
      STRIPE402_SECRET: 'next-test-secret',
    })
  })

  afterAll(async () => {
    if (next && next.child.exitCode === null) {
      const exited = new Promise((done) => next?.child.once('exit', done))
      next.child.kill('SIGTERM')
      await exited
    }
    await emulator?.close()
  })

  it('builds the route handler as a dynamic route', () => {
    expect(buildOutput).toMatch(/ƒ \/api\/joke/)
  })

  it('answers an unpaid GET with a 402 and a decodable payment-required', async () => {
    const res = await fetch(`${next?.url}/api/joke`)
    expect(res.status).toBe(402)
    const required = decodePaymentRequired(res.headers.get('payment-required'))
    expect(required.accepts[0]).toMatchObject({
      scheme: 'stripe',
      currency: 'usd',
      amount: 500,
      minTopUp: 50_000,
      publishableKey: emulator.keys().publishableKey,
    })
    expect(required.resource.url).toContain('/api/joke')
    expect(emulator.charges()).toHaveLength(0)
  })

  it('serves a paid call after one charge, then spends credits without another', async () => {
    const pay = createPayingFetch({
      card: { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123' },
      stripeApiBase: emulator.url,
      policy: { maxAmountPerRequest: 1_000, maxTopUp: 100_000 },
    })

    const first = await pay(`${next?.url}/api/joke`)
    expect(first.status).toBe(200)
    expect(await first.json()).toEqual({ joke: 'A 402 walks into a bar.' })
    const charges = emulator.charges()
    expect(charges).toHaveLength(1)
    expect(charges[0]).toMatchObject({ amount: 500, currency: 'usd', status: 'succeeded' })
    const receipt = decodePaymentResponse(first.headers.get('payment-response'))
    expect(receipt).toMatchObject({ success: true, creditsRemaining: 49_500 })
    expect(receipt.chargeId).toBe(charges[0]?.payment_intent)

    const second = await pay(`${next?.url}/api/joke`)
    expect(second.status).toBe(200)
    expect(getPaymentInfo(second)).toMatchObject({ outcome: 'paid', requests: 1 })
    expect(decodePaymentResponse(second.headers.get('payment-response'))).toMatchObject({
      success: true,
      creditsRemaining: 49_000,
    })
    expect(second.headers.get('cache-control')).toContain('no-store')
    expect(emulator.charges()).toHaveLength(1)
  })
})
