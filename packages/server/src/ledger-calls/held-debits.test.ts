/** The settler of held debits on a memory ledger: batches, retries, extensions and sweeps, seen in balances and holds. */
import { describe, expect, it, vi } from 'vitest'
import type { PaywallEvent } from '../events'
import { MemoryLedger } from '../ledger/memory'
import type { HeldDebits, HeldSettlement } from '../ledger/types'
import { HeldDebitSettler } from './held-debits'

const quiet = { warn: () => {}, error: () => {} }

/** Polls until `check` holds (or 5 s pass), so no test depends on how fast a timer fires. */
async function until(check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** A memory ledger standing in for one that outlives the process (as SQLite, PostgreSQL and Redis do), so debits are held. */
const outliving = (memory: MemoryLedger): MemoryLedger =>
  Object.assign(Object.create(memory) as MemoryLedger, { volatile: false })

/** A memory ledger that outlives the process, whose held-debit calls can be failed, and are counted. */
function setup(timing = { holdMs: 60_000, flushMs: 10 }) {
  const memory = new MemoryLedger()
  const state = { down: false, settleCalls: 0, settled: 0, extendCalls: 0 }
  const holds: HeldDebits = {
    settle: async (items: ReadonlyArray<HeldSettlement>) => {
      if (state.down) throw new Error('ledger down')
      state.settleCalls++
      state.settled += items.length
      return memory.holds.settle(items)
    },
    extend: async (debits, holdUntil) => {
      if (state.down) throw new Error('ledger down')
      state.extendCalls++
      return memory.holds.extend(debits, holdUntil)
    },
    sweep: (now, limit) => memory.holds.sweep(now, limit),
    count: () => memory.holds.count(),
  }
  const ledger = Object.assign(outliving(memory), { holds })
  const events: PaywallEvent[] = []
  const settler = new HeldDebitSettler(
    { ledger, emit: (event) => events.push(event), logger: quiet },
    timing,
  )
  let n = 0
  const debit = async (units = 100, holdMs = timing.holdMs) => {
    const item = { accountId: 'acct', currency: 'usd', units, ref: `GET /x#${++n}` }
    const holdUntil = Date.now() + holdMs
    const result = await memory.spend({ ...item, holdUntil })
    if (!result.ok) throw new Error(result.reason)
    settler.begin(item, holdUntil)
    return item
  }
  return { memory, state, settler, events, debit }
}

/** 1,000 units on the account every test debits. */
const fund = (memory: MemoryLedger) =>
  memory.credit({ accountId: 'acct', currency: 'usd', units: 1_000, kind: 'top_up', ref: 'pi' })

describe('HeldDebitSettler', () => {
  it('confirms served calls in one batch and keeps their debits', async () => {
    const { memory, state, settler, debit } = setup()
    await fund(memory)
    const debits = await Promise.all(Array.from({ length: 5 }, () => debit()))
    for (const item of debits) await settler.settle(item, false, 200)
    await until(async () => (await memory.holds.count()) === 0)
    expect(state.settleCalls).toBe(1)
    expect(state.settled).toBe(5)
    expect(await memory.balance('acct', 'usd')).toBe(500)
    await settler.close()
  })

  it('gives a failed call back at once, and retries a reversal the ledger refused until it lands, once', async () => {
    const { memory, state, settler, events, debit } = setup()
    await fund(memory)
    const first = await debit()
    expect(await settler.settle(first, true, 500)).toBe(true)
    expect(await memory.balance('acct', 'usd')).toBe(1_000)

    const second = await debit()
    state.down = true
    expect(await settler.settle(second, true, 502)).toBe(false)
    expect(await memory.balance('acct', 'usd')).toBe(900)
    state.down = false
    await until(async () => (await memory.balance('acct', 'usd')) === 1_000)
    const reversals = (await memory.journal('acct')).filter((e) => e.kind === 'reversal')
    expect(reversals.map((e) => e.ref)).toEqual([first.ref, second.ref])
    expect(
      events.filter((e) => e.type === 'reversal').map((e) => 'status' in e && e.status),
    ).toEqual([500, 502])
    await settler.close()
  })

  it('extends the hold of a call still running, so no sweep gives it back', async () => {
    const { memory, state, settler, debit } = setup({ holdMs: 1_000, flushMs: 10 })
    await fund(memory)
    const running = await debit(100)
    await until(() => state.extendCalls > 0)
    // Past the first deadline, a sweep finds nothing due: the hold was moved.
    expect(await memory.holds.sweep(Date.now() + 600, 100)).toEqual([])
    await settler.settle(running, false, 200)
    await settler.close()
    expect(await memory.holds.count()).toBe(0)
    expect(await memory.balance('acct', 'usd')).toBe(900)
  })

  it('sweeps back a debit another process left held, and reports it', async () => {
    const { memory, settler, events } = setup({ holdMs: 1_000, flushMs: 10 })
    await fund(memory)
    // Taken by a process that died: held, never begun or settled here.
    await memory.spend({
      accountId: 'acct',
      currency: 'usd',
      units: 300,
      ref: 'GET /x#dead',
      holdUntil: Date.now() - 1,
    })
    expect(await settler.sweep()).toEqual({ expired: 1 })
    expect(await settler.sweep()).toEqual({ expired: 0 })
    expect(await memory.balance('acct', 'usd')).toBe(1_000)
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'debit_repair', outcome: 'expired', units: 300 }),
    )
    await settler.close()
  })

  it('starts its sweeps at the first priced request where the runtime allows no timer at construction (workerd)', async () => {
    const refuse = vi.spyOn(globalThis, 'setInterval').mockImplementation(() => {
      throw new Error('Disallowed operation called within global scope')
    })
    let settler: HeldDebitSettler
    try {
      settler = new HeldDebitSettler(
        { ledger: outliving(new MemoryLedger()), emit: () => {}, logger: quiet },
        { holdMs: 60_000, flushMs: 10 },
      )
    } finally {
      refuse.mockRestore()
    }
    const started = vi.spyOn(globalThis, 'setInterval')
    try {
      expect(settler.holdUntil()).toBeGreaterThan(Date.now())
      expect(started).toHaveBeenCalledTimes(1)
      settler.holdUntil()
      expect(started).toHaveBeenCalledTimes(1)
    } finally {
      started.mockRestore()
      await settler.close()
    }
  })

  it('writes queued confirmations on close', async () => {
    const { memory, settler, debit } = setup({ holdMs: 60_000, flushMs: 60_000 })
    await fund(memory)
    for (let i = 0; i < 3; i++) await settler.settle(await debit(), false, 200)
    expect(settler.pending.queued).toBe(3)
    await settler.close()
    expect(settler.pending.queued).toBe(0)
    expect(await memory.holds.count()).toBe(0)
    expect(await memory.balance('acct', 'usd')).toBe(700)
  })

  it('takes no hold on a ledger that dies with the process (MemoryLedger): a served debit writes nothing, a failed one comes back at once', async () => {
    const memory = new MemoryLedger()
    const calls = { settle: 0, extend: 0 }
    const ledger = Object.assign(Object.create(memory) as MemoryLedger, {
      holds: {
        ...memory.holds,
        settle: (items: ReadonlyArray<HeldSettlement>) => {
          calls.settle++
          return memory.holds.settle(items)
        },
        extend: (debits: ReadonlyArray<{ ref: string }>, holdUntil: number) => {
          calls.extend++
          return memory.holds.extend(debits as never, holdUntil)
        },
      } satisfies HeldDebits,
    })
    const events: PaywallEvent[] = []
    const settler = new HeldDebitSettler(
      { ledger, emit: (event) => events.push(event), logger: quiet },
      { holdMs: 60_000, flushMs: 10 },
    )
    try {
      expect(settler.holding).toBe(false)
      expect(settler.holdUntil()).toBeUndefined()
      await fund(memory)
      const served = { accountId: 'acct', currency: 'usd', units: 100, ref: 'GET /x#1' }
      const failed = { accountId: 'acct', currency: 'usd', units: 100, ref: 'GET /x#2' }
      for (const item of [served, failed]) expect((await memory.spend(item)).ok).toBe(true)
      expect(await memory.holds.count()).toBe(0)
      expect(await settler.settle(served, false, 200)).toBe(false)
      expect(await settler.settle(failed, true, 500)).toBe(true)
      // Given back once, whoever asks again.
      expect(await settler.settle(failed, true, 500)).toBe(true)
      await settler.flush()
      expect(settler.pending).toEqual({ queued: 0, inFlight: 0 })
      expect(calls).toEqual({ settle: 2, extend: 0 })
      expect(await memory.balance('acct', 'usd')).toBe(900)
      expect(events.filter((event) => event.type === 'reversal')).toHaveLength(1)
      expect((await memory.journal('acct')).map((entry) => entry.kind)).toEqual([
        'top_up',
        'debit',
        'debit',
        'reversal',
      ])
    } finally {
      await settler.close()
    }
  })
})
