/** The one store contract suite: every TreasuryStore runs it (SQLite file, PostgreSQL). */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CapsByCurrency } from '../agents/caps'
import { newAgentId } from '../agents/handle'
import {
  type NewAgent,
  type ReserveInput,
  type Settlement,
  StoreConflictError,
  type TreasuryStore,
} from './types'

export interface StoreHarness {
  store: TreasuryStore
  /** Another store on the same data (a second instance); closed by `teardown`. */
  second: () => Promise<TreasuryStore>
  teardown?: () => Promise<void>
}

const DAY = 86_400_000
/** Noon UTC on 15 March 2030: a day and a month either side stay in their own periods. */
const NOW = Date.UTC(2030, 2, 15, 12)

export function runStoreContract(name: string, factory: () => Promise<StoreHarness>): void {
  describe(`treasury store contract: ${name}`, () => {
    let harness: StoreHarness
    let store: TreasuryStore
    const run = Math.random().toString(36).slice(2, 8)
    let n = 0

    beforeAll(async () => {
      harness = await factory()
      store = harness.store
    })
    afterAll(async () => {
      await harness?.teardown?.()
    })

    async function agent(caps: CapsByCurrency, extra: Partial<NewAgent> = {}) {
      return store.createAgent({
        id: newAgentId(),
        name: `agent-${run}-${++n}`,
        secretHash: 'a'.repeat(64),
        caps,
        allowedOrigins: ['https://api.example.com'],
        allowPrivateNetwork: false,
        expiresAt: null,
        createdAt: NOW,
        ...extra,
      })
    }

    const call = (agentId: string, extra: Partial<ReserveInput> = {}): ReserveInput => ({
      agentId,
      callId: randomUUID(),
      at: NOW,
      method: 'GET',
      origin: 'https://api.example.com',
      route: 'GET /joke',
      ...extra,
    })

    const settled = (
      cost: Record<string, number>,
      extra: Partial<Settlement> = {},
    ): Settlement => ({
      at: NOW + 1,
      status: 200,
      outcome: 'paid',
      cost,
      topUps: [],
      ...extra,
    })

    describe('agents', () => {
      it('creates, reads, lists and finds an agent; only getAgent returns the secret hash', async () => {
        const created = await agent({ usd: { perCall: 500 } })
        expect(created).not.toHaveProperty('secretHash')
        expect(created).toMatchObject({ revokedAt: null, createdAt: NOW, updatedAt: NOW })
        expect(await store.getAgent(created.id)).toEqual({ ...created, secretHash: 'a'.repeat(64) })
        expect(await store.findAgentByName(created.name)).toEqual(created)
        const listed = await store.listAgents()
        expect(listed).toContainEqual(created)
        for (const record of listed) expect(record).not.toHaveProperty('secretHash')
        expect(await store.getAgent(newAgentId())).toBeNull()
        expect(await store.findAgentByName(`nobody-${run}`)).toBeNull()
      })

      it('refuses a second agent with the same name and keeps the first', async () => {
        const first = await agent({ usd: { perCall: 1 } })
        await expect(
          store.createAgent({
            id: newAgentId(),
            name: first.name,
            secretHash: 'b'.repeat(64),
            caps: { usd: { total: 9 } },
            allowedOrigins: ['https://x.example'],
            allowPrivateNetwork: true,
            expiresAt: null,
            createdAt: NOW,
          }),
        ).rejects.toBeInstanceOf(StoreConflictError)
        expect(await store.findAgentByName(first.name)).toEqual(first)
      })

      it('changes caps, origins and expiry, and reports an unknown agent as null', async () => {
        const a = await agent({ usd: { perCall: 1 } })
        const changed = await store.updateAgent(
          a.id,
          {
            caps: { eur: { daily: 7 } },
            allowedOrigins: ['https://b.example'],
            expiresAt: NOW + DAY,
          },
          NOW + 5,
        )
        expect(changed).toEqual({
          ...a,
          caps: { eur: { daily: 7 } },
          allowedOrigins: ['https://b.example'],
          expiresAt: NOW + DAY,
          updatedAt: NOW + 5,
        })
        expect(await store.findAgentByName(a.name)).toEqual(changed)
        const cleared = await store.updateAgent(a.id, { expiresAt: null }, NOW + 6)
        expect(cleared?.expiresAt).toBeNull()
        expect(await store.updateAgent(newAgentId(), { name: 'x' }, NOW)).toBeNull()
      })

      it('rotates the secret hash', async () => {
        const a = await agent({ usd: { perCall: 1 } })
        const rotated = await store.setSecretHash(a.id, 'c'.repeat(64), NOW + 9)
        expect(rotated?.updatedAt).toBe(NOW + 9)
        expect((await store.getAgent(a.id))?.secretHash).toBe('c'.repeat(64))
        expect(await store.setSecretHash(newAgentId(), 'c'.repeat(64), NOW)).toBeNull()
      })

      it('revokes once: the first time stays, and another instance refuses its next call', async () => {
        const a = await agent({ usd: { perCall: 500 } })
        const other = await agent({ usd: { perCall: 500 } })
        const revoked = await store.revokeAgent(a.id, NOW + 10)
        expect(revoked?.revokedAt).toBe(NOW + 10)
        expect((await store.revokeAgent(a.id, NOW + 20))?.revokedAt).toBe(NOW + 10)
        const second = await harness.second()
        expect(await second.reserve(call(a.id))).toEqual({ ok: false, reason: 'agent_revoked' })
        expect(await store.reserve(call(a.id))).toEqual({ ok: false, reason: 'agent_revoked' })
        // No other agent is touched.
        expect(await second.reserve(call(other.id))).toEqual({ ok: true, held: { usd: 500 } })
        expect(await store.revokeAgent(newAgentId(), NOW)).toBeNull()
      })

      it('refuses an expired agent and an unknown one, and records nothing for them', async () => {
        const a = await agent({ usd: { perCall: 500 } }, { expiresAt: NOW })
        expect(await store.reserve(call(a.id, { at: NOW - 1 }))).toMatchObject({ ok: true })
        expect(await store.reserve(call(a.id))).toEqual({ ok: false, reason: 'agent_expired' })
        const ghost = newAgentId()
        expect(await store.reserve(call(ghost))).toEqual({ ok: false, reason: 'unknown_agent' })
        expect(await store.calls({ agentId: ghost })).toEqual([])
        expect(await store.calls({ agentId: a.id })).toHaveLength(1)
      })
    })

    describe('reserve and settle', () => {
      it('holds the most a call may cost, then settles to its cost and frees the rest', async () => {
        const a = await agent({ usd: { perCall: 500, daily: 1_200, total: 5_000 } })
        const first = call(a.id)
        expect(await store.reserve(first)).toEqual({ ok: true, held: { usd: 500 } })
        expect(await store.totals(a.id, NOW)).toEqual({
          usd: { daily: 500, monthly: 500, total: 500, held: 500 },
        })
        const second = call(a.id)
        expect(await store.reserve(second)).toEqual({ ok: true, held: { usd: 500 } })
        // 1,000 of the day's 1,200 is held: the third call may cost 200 at most.
        const third = call(a.id)
        expect(await store.reserve(third)).toEqual({ ok: true, held: { usd: 200 } })
        expect(await store.settle(first.callId, settled({ usd: 120 }))).toBe(true)
        expect(await store.settle(second.callId, settled({}, { outcome: 'none' }))).toBe(true)
        expect(await store.totals(a.id, NOW)).toEqual({
          usd: { daily: 320, monthly: 320, total: 320, held: 200 },
        })
        expect(await store.reserve(call(a.id))).toEqual({ ok: true, held: { usd: 500 } })
      })

      it('settles once: a second settle of the same call changes nothing', async () => {
        const a = await agent({ usd: { perCall: 500 } })
        const c = call(a.id)
        await store.reserve(c)
        expect(await store.settle(c.callId, settled({ usd: 300 }))).toBe(true)
        expect(await store.settle(c.callId, settled({ usd: 500 }))).toBe(false)
        expect((await store.totals(a.id, NOW)).usd?.total).toBe(300)
        expect(await store.settle(randomUUID(), settled({ usd: 1 }))).toBe(false)
      })

      it('holds nothing once a cap is used up, and holds per currency', async () => {
        const a = await agent({ usd: { total: 700 }, eur: { perCall: 90, monthly: 100 } })
        const c = call(a.id)
        expect(await store.reserve(c)).toEqual({ ok: true, held: { usd: 700, eur: 90 } })
        await store.settle(c.callId, settled({ usd: 700 }))
        expect(await store.reserve(call(a.id))).toEqual({ ok: true, held: { usd: 0, eur: 90 } })
      })

      it('counts a call in the UTC day and month it started in', async () => {
        const a = await agent({ usd: { daily: 1_000, monthly: 3_000, total: 10_000 } })
        const lastMonth = call(a.id, { at: Date.UTC(2030, 1, 28, 23) })
        const yesterday = call(a.id, { at: NOW - DAY })
        for (const c of [lastMonth, yesterday]) {
          await store.reserve(c)
          await store.settle(c.callId, settled({ usd: 1_000 }))
        }
        expect(await store.totals(a.id, NOW)).toEqual({
          usd: { daily: 0, monthly: 1_000, total: 2_000, held: 0 },
        })
        expect(await store.reserve(call(a.id))).toEqual({ ok: true, held: { usd: 1_000 } })
      })

      it('never holds past a cap under 50 concurrent reservations on two instances', async () => {
        const a = await agent({ usd: { perCall: 700, total: 10_000 } })
        const second = await harness.second()
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => (i % 2 ? second : store).reserve(call(a.id))),
        )
        const held = results.map((r) => (r.ok ? (r.held.usd ?? 0) : -1)).sort((x, y) => y - x)
        expect(held.reduce((sum, x) => sum + x, 0)).toBe(10_000)
        expect(held.slice(0, 15)).toEqual([...Array(14).fill(700), 200])
        expect(held.slice(15).every((x) => x === 0)).toBe(true)
      })

      it('abandons calls never settled at what they held: they may have spent it', async () => {
        const a = await agent({ usd: { perCall: 400 } })
        const old = call(a.id, { at: NOW - 60_000 })
        const fresh = call(a.id)
        await store.reserve(old)
        await store.reserve(fresh)
        expect(await store.abandonStale(NOW - 1_000, NOW)).toBeGreaterThanOrEqual(1)
        expect(await store.totals(a.id, NOW)).toEqual({
          usd: { daily: 800, monthly: 800, total: 800, held: 400 },
        })
        const [record] = await store.calls({ agentId: a.id, to: NOW - 1 })
        expect(record).toMatchObject({ outcome: 'abandoned', cost: { usd: 400 }, held: {} })
        expect(await store.settle(old.callId, settled({ usd: 0 }))).toBe(false)
      })
    })

    describe('spend log and charges', () => {
      it('lists calls newest first, filtered by agent, origin and time, with costs and holds', async () => {
        const a = await agent({ usd: { perCall: 500 } })
        const b = await agent({ usd: { perCall: 500 } })
        const c1 = call(a.id, { at: NOW - 3 })
        const c2 = call(a.id, { at: NOW - 2, origin: 'https://other.example', route: 'POST /x' })
        const c3 = call(b.id, { at: NOW - 1 })
        for (const c of [c1, c2, c3]) await store.reserve(c)
        await store.settle(
          c1.callId,
          settled(
            { usd: 500 },
            { topUps: [{ origin: c1.origin, currency: 'usd', units: 50_000, chargeId: 'pi_1' }] },
          ),
        )
        await store.settle(
          c2.callId,
          settled({}, { outcome: 'refused', reason: 'price_above_cap', status: 402 }),
        )
        const log = await store.calls({ agentId: a.id })
        expect(log.map((r) => r.id)).toEqual([c2.callId, c1.callId])
        expect(log[0]).toMatchObject({
          agentId: a.id,
          method: 'GET',
          origin: 'https://other.example',
          route: 'POST /x',
          status: 402,
          outcome: 'refused',
          reason: 'price_above_cap',
          cost: {},
          held: {},
          settledAt: NOW + 1,
        })
        expect(log[1]).toMatchObject({ outcome: 'paid', cost: { usd: 500 }, status: 200 })
        expect((await store.calls({ agentId: b.id }))[0]).toMatchObject({
          settledAt: null,
          outcome: null,
          held: { usd: 500 },
        })
        expect(
          (await store.calls({ agentId: a.id, origin: 'https://other.example' })).map((r) => r.id),
        ).toEqual([c2.callId])
        expect(
          (await store.calls({ agentId: a.id, from: NOW - 3, to: NOW - 2 })).map((r) => r.id),
        ).toEqual([c1.callId])
        expect(await store.calls({ agentId: a.id, limit: 1 })).toHaveLength(1)
        const charges = await store.charges({ agentId: a.id })
        expect(charges).toEqual([
          {
            id: expect.any(String),
            agentId: a.id,
            callId: c1.callId,
            origin: 'https://api.example.com',
            currency: 'usd',
            units: 50_000,
            chargeId: 'pi_1',
            at: NOW + 1,
          },
        ])
        expect(await store.charges({ agentId: b.id })).toEqual([])
      })
    })

    describe('accounts', () => {
      it('adds up charges, costs and holds over every agent, and totals per agent at once', async () => {
        const before = await store.accounts()
        const a = await agent({ usd: { perCall: 500 } })
        const b = await agent({ usd: { perCall: 300 }, eur: { total: 50 } })
        const c1 = call(a.id)
        const c2 = call(b.id)
        await store.reserve(c1)
        await store.reserve(c2)
        await store.settle(
          c1.callId,
          settled(
            { usd: 450 },
            {
              topUps: [
                { origin: c1.origin, currency: 'usd', units: 50_000, chargeId: 'pi_named' },
                // No answer named its charge: kept apart from what the card was charged.
                { origin: c1.origin, currency: 'usd', units: 5_000 },
              ],
            },
          ),
        )
        const after = await store.accounts()
        const delta = (side: 'charged' | 'unconfirmed' | 'spent' | 'held', currency: string) =>
          (after[side][currency] ?? 0) - (before[side][currency] ?? 0)
        expect(delta('charged', 'usd')).toBe(50_000)
        expect(delta('unconfirmed', 'usd')).toBe(5_000)
        expect(delta('spent', 'usd')).toBe(450)
        expect(delta('held', 'usd')).toBe(300)
        expect(delta('held', 'eur')).toBe(50)
        const all = await store.allTotals(NOW)
        expect(all[a.id]).toEqual({ usd: { daily: 450, monthly: 450, total: 450, held: 0 } })
        expect(all[b.id]).toEqual({
          usd: { daily: 300, monthly: 300, total: 300, held: 300 },
          eur: { daily: 50, monthly: 50, total: 50, held: 50 },
        })
        expect(all[a.id]).toEqual(await store.totals(a.id, NOW))
      })
    })

    describe('wallet', () => {
      it('keeps the snapshot and hands the lock to one holder at a time, across instances', async () => {
        await store.saveWallet({ version: 1, note: 'a' })
        const second = await harness.second()
        expect(await second.loadWallet()).toEqual({ version: 1, note: 'a' })
        const order: string[] = []
        const release = await store.lockWallet()
        const waiting = second.lockWallet().then(async (releaseSecond) => {
          order.push('second')
          await releaseSecond()
        })
        await new Promise((resolve) => setTimeout(resolve, 50))
        order.push('first')
        await release()
        await waiting
        expect(order).toEqual(['first', 'second'])
        // Released for good: it can be taken again.
        await (await store.lockWallet())()
      })
    })
  })
}
