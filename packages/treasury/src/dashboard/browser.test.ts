// The dashboard in real Chromium (Debian's, via playwright-core): sign in, read an agent's spend,
// revoke it in the page, and see its next fetch refused. Readable on a phone-sized screen.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, requireChromium } from '../../../../test/browser/chromium'
import { ADMIN_TOKEN, useStack } from '../../test/support/stack'

const browserBinary = requireChromium()
const stack = useStack()
/** Set to write the README's screenshots to packages/treasury/docs/. */
const SHOTS = process.env.STRIPE402_TREASURY_SCREENSHOTS === '1'
const DOCS = join(import.meta.dirname, '..', '..', 'docs')

describe.skipIf(!browserBinary.available)('the dashboard in Chromium', () => {
  let browser: Browser

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: browserBinary.path,
      headless: true,
      args: CHROMIUM_ARGS,
    })
  })
  afterAll(async () => {
    await browser?.close()
  })

  it('revokes an agent from the page, and its next fetch is refused', async () => {
    const agent = await stack.agent({
      name: 'research-bot',
      caps: { usd: { perCall: 5_000, daily: 20_000, monthly: 200_000 } },
    })
    const other = await stack.agent({
      name: 'summarizer',
      caps: { usd: { perCall: 1_000, daily: 2_000 } },
    })
    for (const [who, path, times] of [
      [agent, '/api/joke', 3],
      [agent, '/api/dear', 2],
      [other, '/api/joke', 4],
    ] as const) {
      for (let i = 0; i < times; i++)
        await (await stack.fetchAs(who.handle, { url: `${stack.api.url}${path}` })).arrayBuffer()
    }

    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    await page.goto(`${stack.url}/dashboard`)
    expect(new URL(page.url()).pathname).toBe('/dashboard/login')
    await page.fill('input[name="token"]', ADMIN_TOKEN)
    await page.click('button:has-text("Sign in")')
    await page.waitForURL(`${stack.url}/dashboard`)

    const [cookie] = await context.cookies()
    expect(cookie).toMatchObject({ name: 'treasury_session', httpOnly: true, sameSite: 'Strict' })
    expect(await page.evaluate(() => document.cookie)).toBe('')
    const row = page.locator('tr[data-agent="research-bot"]')
    await expect.poll(() => row.textContent()).toContain('$1.15 / $2.00')
    await expect.poll(() => page.locator('[data-testid="spent-usd"]').textContent()).toBe('$1.35')
    if (SHOTS) {
      mkdirSync(DOCS, { recursive: true })
      await page.screenshot({ path: join(DOCS, 'dashboard.png'), fullPage: true })
    }

    await page.click('a:has-text("research-bot")')
    await page.waitForURL(`${stack.url}/dashboard/agents/${agent.id}`)
    expect(await page.locator('svg[role="img"] rect.spent').count()).toBe(30)
    expect(await page.locator('main').textContent()).toContain('GET /api/dear')
    await page.click('#revoke')
    await page.waitForURL(`${stack.url}/dashboard/agents/${agent.id}`)
    expect(await page.locator('h1 .status').textContent()).toBe('revoked')

    const next = await stack.fetchAs(agent.handle, { url: `${stack.api.url}/api/joke` })
    expect(next.status).toBe(403)
    expect(((await next.json()) as { error: { code: string } }).error.code).toBe('agent_revoked')
    // The other agent keeps going.
    expect((await stack.fetchAs(other.handle, { url: `${stack.api.url}/free` })).status).toBe(200)

    const html = await page.content()
    expect(html).not.toContain(agent.handle.split('.')[1])
    expect(errors).toEqual([])
    await context.close()
  })

  it('fits a phone screen: nothing but the tables scrolls sideways', async () => {
    await stack.agent({ name: 'phone-check' })
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    })
    const page = await context.newPage()
    await page.goto(`${stack.url}/dashboard/login`)
    await page.fill('input[name="token"]', ADMIN_TOKEN)
    await page.click('button:has-text("Sign in")')
    await page.waitForURL(`${stack.url}/dashboard`)
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    )
    expect(overflow).toBeLessThanOrEqual(0)
    if (SHOTS) await page.screenshot({ path: join(DOCS, 'dashboard-phone.png'), fullPage: true })
    await context.close()
  })
})
