// The Node file store: budgets and credentials survive a restart; the file is private and never half-written.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFileStore } from './file-store'
import { createPayingFetch, getPaymentInfo, Stripe402ClientError } from './index'
import { CARDS, useStack } from '../test/support/stack'

const stack = useStack()
let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stripe402-wallet-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const agent = (file: string, daily = 60_000) =>
  createPayingFetch({
    card: CARDS.visa,
    stripeApiBase: stack.emulator.url,
    store: createFileStore(file),
    policy: { budget: { daily } },
  })

describe('createFileStore', () => {
  it('keeps the budget across a restart', async () => {
    const file = join(dir, 'wallet.json')
    const whole = `${stack.api.url}/api/whole` // every call needs a fresh 50,000 top-up
    expect((await agent(file)(whole)).status).toBe(200)

    // A new process: same file, same policy. The day's 50,000 is remembered, another would exceed 60,000.
    const restarted = agent(file)
    const stripeCallsBefore = stack.emulator.requests().length
    const res = await restarted(whole)
    expect(getPaymentInfo(res)).toMatchObject({ outcome: 'refused', reason: 'budget_exceeded' })
    expect(stack.emulator.requests()).toHaveLength(stripeCallsBefore)
    expect(stack.emulator.charges()).toHaveLength(1)
    expect((await restarted.wallet()).spent.usd).toEqual({
      daily: 50_000,
      monthly: 50_000,
      total: 50_000,
    })

    // Control: with a wallet that does not remember, the same call pays.
    expect((await agent(join(dir, 'other.json'))(whole)).status).toBe(200)
    expect(stack.emulator.charges()).toHaveLength(2)
  })

  it('keeps the credential across a restart: still one round trip per call', async () => {
    const file = join(dir, 'wallet.json')
    await agent(file)(`${stack.api.url}/api/joke`)
    const res = await agent(file)(`${stack.api.url}/api/joke`)
    expect(getPaymentInfo(res)).toMatchObject({
      outcome: 'paid',
      requests: 1,
      creditsRemaining: 49_000,
    })
    expect(stack.emulator.charges()).toHaveLength(1)
  })

  it('writes a 0600 file atomically, in a 0700 directory it creates, and never stores the card', async () => {
    const file = join(dir, 'nested', 'wallet.json')
    const pay = agent(file)
    await Promise.all(Array.from({ length: 5 }, () => pay(`${stack.api.url}/api/joke`)))
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await stat(join(dir, 'nested'))).mode & 0o777).toBe(0o700)
    expect(await readdir(join(dir, 'nested'))).toEqual(['wallet.json']) // no temp files left behind
    const text = await readFile(file, 'utf8')
    expect(JSON.parse(text)).toMatchObject({ version: 1 })
    expect(text).not.toContain(CARDS.visa.number)
    expect(text).not.toContain('pm_')
  })

  it('holds a budget across two processes sharing the wallet: one top-up fits, one does not', async () => {
    const file = join(dir, 'wallet.json')
    const whole = `${stack.api.url}/api/whole` // each call needs a fresh 50,000 top-up; the day allows 60,000
    // Two processes: each with its own store and paying fetch on the same file, both starting now.
    const [a, b] = await Promise.all([agent(file)(whole), agent(file)(whole)])
    const outcomes = [getPaymentInfo(a), getPaymentInfo(b)]
      .map((info) => info?.reason ?? info?.outcome)
      .sort()
    expect(outcomes).toEqual(['budget_exceeded', 'paid'])
    expect(stack.emulator.charges()).toHaveLength(1)
    expect((await agent(file).wallet()).spent.usd).toEqual({
      daily: 50_000,
      monthly: 50_000,
      total: 50_000,
    })
  })

  it("keeps both processes' spending in the file, not only the last writer's", async () => {
    const file = join(dir, 'wallet.json')
    const pay = (p: ReturnType<typeof agent>) =>
      Promise.all([1, 2, 3].map(() => p(`${stack.api.url}/api/joke`)))
    const [a, b] = [agent(file, 200_000), agent(file, 200_000)]
    await Promise.all([pay(a), pay(b)])
    // Six paid calls between them, and every charge the card saw (whichever process paid it).
    const charged = stack.emulator.charges().length
    const rows = (await agent(file).wallet()).origins
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({
      used: 3_000,
      calls: 6,
      spent: charged * 50_000,
      topUps: charged,
    })
    expect(await readdir(dir)).toEqual(['wallet.json']) // no lock or temp file left behind
  })

  it('refuses a corrupt wallet instead of starting over with a blank budget', async () => {
    const file = join(dir, 'wallet.json')
    await writeFile(file, '{"version": 1, "origins": [', 'utf8')
    const pay = agent(file)
    const error = await pay(`${stack.api.url}/api/joke`).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Stripe402ClientError)
    expect(error).toMatchObject({ code: 'store_corrupt' })
    expect(stack.api.requests).toEqual([])
  })
})
