import { describe, expect, it } from 'vitest'
import { spentTotals, takeRefusal } from './budget'
import { KEEP_CALL_ENTRIES, prune, recordCall, reserveTopUp, settleTopUp } from './journal'
import { mergeSnapshot } from './merge'
import { parseSnapshot, type WalletSnapshot } from './snapshot'
import { walletView } from './view'

const DAY = 86_400_000
const NOW = Date.UTC(2026, 10, 21, 12) // 21 November 2026, noon UTC
const empty = (): WalletSnapshot => ({ version: 1, origins: {}, journal: [], seq: 0 })
const line = (at: number, units: number) => ({
  origin: 'https://api.example',
  route: 'GET /api/joke',
  currency: 'usd',
  units,
  at,
})

describe('prune: the journal stays small, and budgets and totals stay exact', () => {
  function history(): WalletSnapshot {
    const state = empty()
    // Top-ups in September, October (the previous month), this month and today; one still pending.
    for (const at of [
      Date.UTC(2026, 8, 3),
      Date.UTC(2026, 9, 1),
      Date.UTC(2026, 9, 30),
      Date.UTC(2026, 10, 2),
      NOW - 1000,
    ]) {
      settleTopUp(state, reserveTopUp(state, line(at, 10_000)), { chargeId: `pi_${at}` })
    }
    reserveTopUp(state, line(Date.UTC(2026, 7, 1), 5_000)) // pending since August: its outcome is still unknown
    for (let i = 0; i < KEEP_CALL_ENTRIES + 250; i++)
      recordCall(state, { ...line(NOW - DAY + i, 100), creditsRemaining: 0 })
    return state
  }

  it('keeps the latest calls, top-ups since the start of the previous UTC month, and every pending top-up', () => {
    const state = history()
    prune(state, NOW)
    const calls = state.journal.filter((e) => e.kind === 'call')
    const topUps = state.journal.filter((e) => e.kind === 'top_up')
    expect(calls).toHaveLength(KEEP_CALL_ENTRIES)
    // The newest ones, oldest first.
    expect(calls[0]!.at).toBe(NOW - DAY + 250)
    expect(calls.at(-1)!.at).toBe(NOW - DAY + KEEP_CALL_ENTRIES + 249)
    // Kept from 1 October, the start of the previous UTC month: September's goes, the pending one from August stays.
    expect(topUps.map((e) => new Date(e.at).toISOString().slice(0, 10))).toEqual([
      '2026-10-01',
      '2026-10-30',
      '2026-11-02',
      '2026-11-21',
      '2026-08-01',
    ])
    expect(topUps.find((e) => e.pending)?.units).toBe(5_000)
  })

  it('leaves daily, monthly and total budgets and the wallet view as they were', () => {
    const state = history()
    const before = { spent: spentTotals(state, 'usd', NOW), view: walletView(state, NOW) }
    prune(state, NOW)
    expect(spentTotals(state, 'usd', NOW)).toEqual(before.spent)
    expect(walletView(state, NOW)).toEqual(before.view)
    // What those are: today 10,000; this month 20,000; ever every top-up, the pending one included.
    expect(before.spent).toEqual({ daily: 10_000, monthly: 20_000, total: 55_000 })
    expect(before.view.origins[0]).toMatchObject({
      calls: KEEP_CALL_ENTRIES + 250,
      used: (KEEP_CALL_ENTRIES + 250) * 100,
      topUps: 6,
    })
  })

  it('is idempotent: pruning again drops nothing', () => {
    const state = history()
    prune(state, NOW)
    const once = structuredClone(state.journal)
    prune(state, NOW)
    expect(state.journal).toEqual(once)
  })
})

describe("takeRefusal: a server's word that a top-up was not charged", () => {
  it('is taken once per UTC day and currency, and again the next day', () => {
    const state = empty()
    expect(takeRefusal(state, 'usd', NOW)).toBe(true)
    expect(takeRefusal(state, 'usd', NOW + 1000)).toBe(false)
    expect(takeRefusal(state, 'eur', NOW + 1000)).toBe(true)
    expect(takeRefusal(state, 'usd', Date.UTC(2026, 10, 22))).toBe(true)
  })

  it('survives a save and load, and two writers merged keep the later taking', () => {
    const base = empty()
    const ours = structuredClone(base)
    const theirs = structuredClone(base)
    expect(takeRefusal(theirs, 'usd', NOW)).toBe(true)
    const loaded = parseSnapshot(JSON.parse(JSON.stringify(theirs)))
    expect(loaded.refusalsTaken).toEqual({ usd: NOW })
    mergeSnapshot(ours, base, loaded)
    // Another process took today's word: this one does not take a second.
    expect(takeRefusal(ours, 'usd', NOW + 1000)).toBe(false)
    expect(() => parseSnapshot({ ...empty(), refusalsTaken: { usd: -1 } })).toThrow(
      /refusals taken/,
    )
  })
})
