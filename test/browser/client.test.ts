// @stripe402/client core in real Chromium: a page bundled for the browser tokenizes, pays and spends credits.
import { mkdtempSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { paywallMiddleware } from '@stripe402/express'
import { createPaywall, MemoryLedger } from '@stripe402/server'
import { type StripeEmulator, startStripeEmulator } from '@stripe402/stripe-emulator'
import { build } from 'esbuild'
import express from 'express'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, requireChromium } from './chromium'

const browserBinary = requireChromium()
const repo = resolve(__dirname, '../..')

const HTML = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>stripe402 in a browser</title></head>
  <body>
    <h1>Paid jokes</h1>
    <button id="buy">Buy a joke</button>
    <ol id="calls"></ol>
    <script type="module" src="/app.js"></script>
  </body>
</html>`

/** Bundles the page for the browser: a Node-only import anywhere in the client core fails here. */
async function bundlePage(): Promise<{ code: string; inputs: string[] }> {
  const result = await build({
    entryPoints: [resolve(__dirname, 'page/app.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  const code = result.outputFiles[0]?.text ?? ''
  const inputs = Object.keys(result.metafile.inputs).map((input) =>
    relative(repo, resolve(process.cwd(), input)),
  )
  return { code, inputs }
}

function listen(server: Server): Promise<string> {
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => {
      done(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    }),
  )
}

function close(server: Server): Promise<void> {
  return new Promise((done) => server.close(() => done()))
}

describe('the page bundle', () => {
  it('is built for the browser from the client core source, Node-only imports refused', async () => {
    const { inputs } = await bundlePage()
    expect(inputs).toContain('packages/client/src/index.ts')
    expect(inputs).toContain('packages/protocol/src/index.ts')
  })
})

describe.skipIf(!browserBinary.available)('@stripe402/client in Chromium', () => {
  let emulator: StripeEmulator
  let api: Server
  let site: Server
  let apiUrl: string
  let siteUrl: string
  let browser: Browser
  let page: Page
  const pageErrors: string[] = []

  beforeAll(async () => {
    emulator = await startStripeEmulator({ port: 0 })
    const keys = emulator.keys()
    const paywall = createPaywall({
      stripe: { ...keys, apiBase: emulator.url, maxNetworkRetries: 0 },
      secret: 'browser-test-secret',
      ledger: new MemoryLedger(),
      routes: { 'GET /api/joke': { amount: 500, minTopUp: 50_000 } },
      logger: { warn: () => {}, error: () => {} },
    })
    const app = express()
    // CORS before the paywall: the page is another origin, sends `payment` and reads the receipts.
    app.use((req, res, next) => {
      res.set({
        'access-control-allow-origin': req.headers.origin ?? '*',
        'access-control-allow-headers': 'payment, content-type',
        'access-control-expose-headers': 'payment-required, payment-response',
      })
      if (req.method === 'OPTIONS') return void res.status(204).end()
      next()
    })
    app.use(paywallMiddleware(paywall))
    app.get('/api/joke', (_req, res) => void res.json({ joke: 'A 402 walks into a bar.' }))
    api = createServer(app)
    apiUrl = await listen(api)

    const bundle = await bundlePage()
    site = createServer((req, res) => {
      if (req.url === '/app.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle.code)
      } else {
        res.writeHead(200, { 'content-type': 'text/html' }).end(HTML)
      }
    })
    siteUrl = await listen(site)

    browser = await chromium.launch({
      executablePath: browserBinary.path,
      headless: true,
      args: CHROMIUM_ARGS,
    })
    page = await browser.newPage()
    page.on('pageerror', (error) => pageErrors.push(error.message))
    const query = new URLSearchParams({ api: apiUrl, stripe: emulator.url })
    await page.goto(`${siteUrl}/?${query}`)
    await page.locator('body[data-ready="yes"]').waitFor()
  })

  afterAll(async () => {
    await browser?.close()
    await Promise.all([site && close(site), api && close(api), emulator?.close()])
  })

  it('pays the 402 from the page: the card is tokenized by the browser and charged once', async () => {
    await page.click('#buy')
    const text = await page.locator('#call-1').textContent()
    const charges = emulator.charges()
    expect(charges).toHaveLength(1)
    expect(charges[0]).toMatchObject({ amount: 500, currency: 'usd', status: 'succeeded' })
    expect(text).toBe(
      [
        'status 200',
        'joke: A 402 walks into a bar.',
        'outcome paid',
        'requests 2',
        `charged 50000 units (${charges[0]?.payment_intent})`,
        'receipt credits 49500',
      ].join(' | '),
    )
    // The PaymentMethod was created from the page with the publishable key, not by the server.
    const tokenized = emulator.requests().filter((r) => r.path === '/v1/payment_methods')
    expect(tokenized).toHaveLength(1)
    expect(tokenized[0]?.status).toBe(200)
    const screenshot = join(mkdtempSync(join(tmpdir(), 'stripe402-browser-')), 'paid.png')
    await page.screenshot({ path: screenshot })
    console.info(`[stripe402] screenshot of the paid page: ${screenshot}`)
  })

  it('spends credits on the next call, up front, without charging the card again', async () => {
    await page.click('#buy')
    const text = await page.locator('#call-2').textContent()
    expect(text).toBe(
      [
        'status 200',
        'joke: A 402 walks into a bar.',
        'outcome paid',
        'requests 1',
        'no charge',
        'receipt credits 49000',
      ].join(' | '),
    )
    expect(emulator.charges()).toHaveLength(1)
    expect(pageErrors).toEqual([])
  })
})
