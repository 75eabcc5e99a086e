/** The one ledger contract suite: every Ledger implementation runs it (memory, PGlite, PostgreSQL, Redis). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JournalEntry, JournalKind, Ledger } from './types'
import { LedgerUnavailableError } from './types'

export interface LedgerHarness {
  ledger: Ledger
  /** A ledger whose backing store cannot be reached; omitted for ledgers without one (memory). */
  unreachable?: () => Promise<{ ledger: Ledger; teardown(): Promise<void> }>
  /** Drops what the harness created (schema, keys, connections). */
  teardown?: () => Promise<void>
}

const SIGN: Record<JournalKind, 1 | -1> = {
  top_up: 1,
  reversal: 1,
  adjustment: 1,
  debit: -1,
  refund: -1,
  dispute: -1,
  shortfall: -1,
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The invariant every user relies on: per currency, the journal replays to the balance, every
 * entry's balanceAfter follows from the one before, no balance is ever negative, and each
 * kind moves money in its direction.
 */
export async function expectJournalMatchesBalances(
  ledger: Ledger,
  accountId: string,
): Promise<JournalEntry[]> {
  const entries = await ledger.journal(accountId)
  const currencies = new Set(entries.map((e) => e.currency))
  for (const currency of currencies) {
    let running = 0
    for (const entry of entries.filter((e) => e.currency === currency)) {
      expect(entry.accountId).toBe(accountId)
      expect(Math.sign(entry.units) * SIGN[entry.kind]).not.toBe(-1)
      running += entry.units
      expect(entry.balanceAfter).toBe(running)
      expect(entry.balanceAfter).toBeGreaterThanOrEqual(0)
    }
    expect(await ledger.balance(accountId, currency)).toBe(running)
    expect(await ledger.journal(accountId, currency)).toEqual(
      entries.filter((e) => e.currency === currency),
    )
  }
  return entries
}

export function runLedgerContract(name: string, factory: () => Promise<LedgerHarness>): void {
  describe(`Ledger contract: ${name}`, () => {
    let harness: LedgerHarness
    let ledger: Ledger
    const run = Math.random().toString(36).slice(2, 8)
    let n = 0
    // Fresh ids per test keep tests independent without a fresh store each time.
    const id = (what: string) => `${what}_${run}_${++n}`

    beforeAll(async () => {
      harness = await factory()
      ledger = harness.ledger
    })
    afterAll(async () => {
      await harness?.teardown?.()
    })

    describe('balances', () => {
      it('credits, spends and reports the balance', async () => {
        const acct = id('acct')
        expect(await ledger.balance(acct, 'usd')).toBe(0)
        expect(
          await ledger.credit({
            accountId: acct,
            currency: 'usd',
            units: 10_000,
            kind: 'top_up',
            ref: id('pi'),
          }),
        ).toEqual({
          applied: true,
          balance: 10_000,
        })
        const spent = await ledger.spend({
          accountId: acct,
          currency: 'usd',
          units: 2_500,
          ref: 'GET /api/weather',
        })
        expect(spent).toMatchObject({ ok: true, accountId: acct, balance: 7_500 })
        expect(spent.ok && typeof spent.entryId).toBe('string')
        expect(await ledger.balance(acct, 'usd')).toBe(7_500)
        await expectJournalMatchesBalances(ledger, acct)
      })

      it('spends a balance down to exactly zero and never below', async () => {
        const acct = id('acct')
        await ledger.credit({
          accountId: acct,
          currency: 'usd',
          units: 1_000,
          kind: 'top_up',
          ref: id('pi'),
        })
        expect(
          await ledger.spend({ accountId: acct, currency: 'usd', units: 1_000, ref: 'r' }),
        ).toMatchObject({ ok: true, balance: 0 })
        expect(
          await ledger.spend({ accountId: acct, currency: 'usd', units: 1, ref: 'r' }),
        ).toEqual({
          ok: false,
          reason: 'insufficient_credits',
          accountId: acct,
          balance: 0,
        })
        expect(await ledger.balance(acct, 'usd')).toBe(0)
      })

      it('refuses a spend above the balance and leaves the balance and journal intact', async () => {
        const acct = id('acct')
        await ledger.credit({
          accountId: acct,
          currency: 'usd',
          units: 500,
          kind: 'top_up',
          ref: id('pi'),
        })
        const before = await ledger.journal(acct)
        expect(
          await ledger.spend({ accountId: acct, currency: 'usd', units: 501, ref: 'r' }),
        ).toEqual({
          ok: false,
          reason: 'insufficient_credits',
          accountId: acct,
          balance: 500,
        })
        expect(await ledger.balance(acct, 'usd')).toBe(500)
        expect(await ledger.journal(acct)).toEqual(before)
      })

      it('treats an unknown account as an empty balance', async () => {
        const acct = id('nobody')
        expect(
          await ledger.spend({ accountId: acct, currency: 'usd', units: 1, ref: 'r' }),
        ).toEqual({
          ok: false,
          reason: 'insufficient_credits',
          accountId: acct,
          balance: 0,
        })
        expect(await ledger.journal(acct)).toEqual([])
      })

      it('keeps currencies apart', async () => {
        const acct = id('acct')
        await ledger.credit({
          accountId: acct,
          currency: 'usd',
          units: 1_000,
          kind: 'top_up',
          ref: id('pi'),
        })
        expect(
          await ledger.spend({ accountId: acct, currency: 'eur', units: 1, ref: 'r' }),
        ).toMatchObject({
          ok: false,
          reason: 'insufficient_credits',
          balance: 0,
        })
        await ledger.credit({
          accountId: acct,
          currency: 'eur',
          units: 300,
          kind: 'top_up',
          ref: id('pi'),
        })
        expect(
          await ledger.spend({ accountId: acct, currency: 'eur', units: 300, ref: 'r' }),
        ).toMatchObject({ ok: true, balance: 0 })
        expect(await ledger.balance(acct, 'usd')).toBe(1_000)
        expect(await ledger.balance(acct, 'eur')).toBe(0)
        expect((await ledger.journal(acct, 'usd')).map((e) => e.currency)).toEqual(['usd'])
        await expectJournalMatchesBalances(ledger, acct)
      })

      it('rejects amounts that would move money the wrong way, changing nothing', async () => {
        const acct = id('acct')
        await ledger.credit({
          accountId: acct,
          currency: 'usd',
          units: 100,
          kind: 'top_up',
          ref: id('pi'),
        })
        for (const units of [-50, 0, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await expect(
            ledger.spend({ accountId: acct, currency: 'usd', units, ref: 'r' }),
          ).rejects.toThrow(TypeError)
          await expect(
            ledger.credit({
              accountId: acct,
              currency: 'usd',
              units,
              kind: 'top_up',
              ref: id('pi'),
            }),
          ).rejects.toThrow(TypeError)
          await expect(
            ledger.clawback({
              accountId: acct,
              currency: 'usd',
              units,
              kind: 'refund',
              ref: id('re'),
            }),
          ).rejects.toThrow(TypeError)
        }
        await expect(
          ledger.spend({ accountId: acct, currency: 'USD', units: 1, ref: 'r' }),
        ).rejects.toThrow(/currency/)
        await expect(
          ledger.credit({ accountId: acct, currency: 'usd', units: 1, kind: 'top_up', ref: '' }),
        ).rejects.toThrow(/ref/)
        expect(await ledger.balance(acct, 'usd')).toBe(100)
        expect(await ledger.journal(acct)).toHaveLength(1)
      })
    })

    describe('credits are idempotent', () => {
      it('applies a credit once per (account, kind, ref)', async () => {
        const acct = id('acct')
        const other = id('acct')
        const ref = id('pi')
        expect(
          await ledger.credit({
            accountId: acct,
            currency: 'usd',
            units: 5_000,
            kind: 'top_up',
            ref,
          }),
        ).toEqual({ applied: true, balance: 5_000 })
        expect(
          await ledger.credit({
            accountId: acct,
            currency: 'usd',
            units: 5_000,
            kind: 'top_up',
            ref,
          }),
        ).toEqual({ applied: false, balance: 5_000 })
        // The same ref under another kind or another account is a different credit.
        expect(
          await ledger.credit({
            accountId: acct,
            currency: 'usd',
            units: 1,
            kind: 'adjustment',
            ref,
          }),
        ).toEqual({ applied: true, balance: 5_001 })
        expect(
          await ledger.credit({ accountId: other, currency: 'usd', units: 7, kind: 'top_up', ref }),
        ).toEqual({ applied: true, balance: 7 })
        expect(await ledger.hasEntry(acct, 'top_up', ref)).toBe(true)
        expect(await ledger.hasEntry(acct, 'top_up', id('pi'))).toBe(false)
        await expectJournalMatchesBalances(ledger, acct)
      })

      it('applies 50 concurrent identical credits exactly once', async () => {
        const acct = id('acct')
        const ref = id('pi')
        const results = await Promise.all(
          Array.from({ length: 50 }, () =>
            ledger.credit({ accountId: acct, currency: 'usd', units: 20_000, kind: 'top_up', ref }),
          ),
        )
        expect(results.filter((r) => r.applied)).toHaveLength(1)
        expect(results.every((r) => r.balance === 20_000)).toBe(true)
        expect(await ledger.balance(acct, 'usd')).toBe(20_000)
        const entries = await expectJournalMatchesBalances(ledger, acct)
        expect(entries.map((e) => [e.kind, e.units, e.ref])).toEqual([['top_up', 20_000, ref]])
      })

      it('never applies one ref twice even when the duplicates name different currencies', async () => {
        const acct = id('acct')
        const ref = id('pi')
        const results = await Promise.all(
          (['usd', 'eur', 'gbp', 'usd', 'eur', 'gbp'] as const).map((currency) =>
            ledger.credit({ accountId: acct, currency, units: 100, kind: 'top_up', ref }),
          ),
        )
        expect(results.filter((r) => r.applied)).toHaveLength(1)
        const entries = await expectJournalMatchesBalances(ledger, acct)
        expect(entries).toHaveLength(1)
      })
    })

    describe('spends under concurrency', () => {
      it('lets exactly K of 200 concurrent spends through when the balance covers K', async () => {
        const acct = id('acct')
        const K = 37
        await ledger.credit({
          accountId: acct,
          currency: 'usd',
          units: K * 250,
          kind: 'top_up',
          ref: id('pi'),
        })
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            ledger.spend({ accountId: acct, currency: 'usd', units: 250, ref: `GET /item/${i}` }),
          ),
        )
        expect(results.filter((r) => r.ok)).toHaveLength(K)
        expect(results.filter((r) => !r.ok && r.reason === 'insufficient_credits')).toHaveLength(
          200 - K,
        )
        expect(await ledger.balance(acct, 'usd')).toBe(0)
        const entries = await expectJournalMatchesBalances(ledger, acct)
        expect(entries.filter((e) => e.kind === 'debit')).toHaveLength(K)
        // Every successful spend is told a distinct remaining balance: no two saw the same state.
        const remaining = results.flatMap((r) => (r.ok ? [r.balance] : []))
        expect(new Set(remaining).size).toBe(K)
      })

      it('keeps balance = sum of journal while credits, spends and clawbacks race', async () => {
        const acct = id('acct')
        await ledger.credit({
          accountId: acct,
          currency: 'usd',
          units: 1_000,
          kind: 'top_up',
          ref: id('pi'),
        })
        const ops: Promise<unknown>[] = []
        for (let i = 0; i < 40; i++) {
          ops.push(ledger.spend({ accountId: acct, currency: 'usd', units: 90, ref: 'r' }))
          if (i % 4 === 0)
            ops.push(
              ledger.credit({
                accountId: acct,
                currency: 'usd',
                units: 300,
                kind: 'top_up',
                ref: `pi_${i}`,
              }),
            )
          if (i % 10 === 0)
            ops.push(
              ledger.clawback({
                accountId: acct,
                currency: 'usd',
                units: 200,
                kind: 'refund',
                ref: `re_${i}`,
              }),
            )
          if (i % 8 === 0)
            ops.push(ledger.spend({ accountId: acct, currency: 'eur', units: 1, ref: 'r' }))
        }
        await Promise.all(ops)
        await expectJournalMatchesBalances(ledger, acct)
        expect(await ledger.balance(acct, 'usd')).toBeGreaterThanOrEqual(0)
      })
    })

    describe('held debits', () => {
      const FAR = 4_000_000_000_000
      const holds = () => {
        if (!ledger.holds) throw new Error(`${name} has no held debits`)
        return ledger.holds
      }
      /** Sweeps everything due at `now`, keeping what belongs to `acct`. */
      const sweepFor = async (acct: string, now: number) =>
        (await holds().sweep(now, 10_000)).filter((debit) => debit.accountId === acct)
      const funded = async (units: number) => {
        const acct = id('acct')
        await ledger.credit({
          accountId: acct,
          currency: 'usd',
          units,
          kind: 'top_up',
          ref: id('pi'),
        })
        return acct
      }

      it("answers each of one turn's held debits on several accounts with its own result, holding those that stood", async () => {
        const accounts = [await funded(250), await funded(250)]
        const refs = accounts.map(() => [id('r'), id('r'), id('r')])
        // Asked in one turn: the ledgers that batch a turn's debits take them together.
        const results = await Promise.all(
          accounts.flatMap((accountId, a) =>
            (refs[a] as string[]).map((ref) =>
              ledger.spend({ accountId, currency: 'usd', units: 100, ref, holdUntil: FAR }),
            ),
          ),
        )
        // In the order asked, per account: 150, 50, then refused with 50 left.
        expect(results.map((r) => [r.accountId, r.ok ? r.balance : r.reason])).toEqual(
          accounts.flatMap((accountId) => [
            [accountId, 150],
            [accountId, 50],
            [accountId, 'insufficient_credits'],
          ]),
        )
        // Only the two of each account that stood are held: a sweep gives back exactly those, once.
        const swept = (await holds().sweep(FAR, 10_000)).map((debit) => debit.ref)
        for (const [a, accountId] of accounts.entries()) {
          const debits = (await expectJournalMatchesBalances(ledger, accountId)).filter(
            (entry) => entry.kind === 'debit',
          )
          const stood = (refs[a] as string[]).slice(0, 2)
          expect(debits.map((entry) => entry.ref)).toEqual(stood)
          expect(swept.filter((ref) => (refs[a] as string[]).includes(ref)).sort()).toEqual(
            [...stood].sort(),
          )
          expect(await ledger.balance(accountId, 'usd')).toBe(250)
        }
      })

      it('keeps a confirmed debit, and gives back a reversed one once', async () => {
        const acct = await funded(1_000)
        const until = Date.now() + 60_000
        const [refA, refB] = [id('r'), id('r')]
        const kept = await ledger.spend({
          accountId: acct,
          currency: 'usd',
          units: 100,
          ref: refA,
          holdUntil: until,
        })
        const back = await ledger.spend({
          accountId: acct,
          currency: 'usd',
          units: 300,
          ref: refB,
          holdUntil: until,
        })
        expect(kept.ok && back.ok).toBe(true)
        expect(await ledger.balance(acct, 'usd')).toBe(600)
        const a = { accountId: acct, currency: 'usd', units: 100, ref: refA }
        const b = { accountId: acct, currency: 'usd', units: 300, ref: refB }
        expect(
          await holds().settle([
            { ...a, reverse: false },
            { ...b, reverse: true },
          ]),
        ).toBe(1)
        expect(await ledger.balance(acct, 'usd')).toBe(900)
        // Settling again, or sweeping long after, gives nothing back a second time.
        expect(await holds().settle([{ ...b, reverse: true }])).toBe(0)
        expect(await sweepFor(acct, FAR)).toEqual([])
        expect(await ledger.balance(acct, 'usd')).toBe(900)
        const entries = await expectJournalMatchesBalances(ledger, acct)
        expect(entries.filter((e) => e.kind === 'reversal').map((e) => [e.units, e.ref])).toEqual([
          [300, refB],
        ])
      })

      it('gives back, once, a debit nobody settled by its deadline, whoever sweeps', async () => {
        const acct = await funded(1_000)
        const now = Date.now()
        const [r0, r1, r2] = [id('r'), id('r'), id('r')]
        await ledger.spend({
          accountId: acct,
          currency: 'usd',
          units: 100,
          ref: r0,
          holdUntil: now + 1_000,
        })
        await ledger.spend({
          accountId: acct,
          currency: 'usd',
          units: 200,
          ref: r1,
          holdUntil: now + 1_000,
        })
        await ledger.spend({
          accountId: acct,
          currency: 'usd',
          units: 400,
          ref: r2,
          holdUntil: now + 90_000,
        })
        // Not yet due: nothing moves.
        expect(await sweepFor(acct, now + 500)).toEqual([])
        // Four instances sweep at once: each debit is given back by exactly one reversal.
        const swept = (
          await Promise.all(Array.from({ length: 4 }, () => sweepFor(acct, now + 2_000)))
        ).flat()
        expect(new Set(swept.map((debit) => debit.ref))).toEqual(new Set([r0, r1]))
        expect(await ledger.balance(acct, 'usd')).toBe(600)
        // A confirmation that comes after the sweep changes nothing (the operator, not the payer, loses).
        await holds().settle([
          { accountId: acct, currency: 'usd', units: 100, ref: r0, reverse: false },
        ])
        expect(await ledger.balance(acct, 'usd')).toBe(600)
        const entries = await expectJournalMatchesBalances(ledger, acct)
        expect(
          entries
            .filter((e) => e.kind === 'reversal')
            .map((e) => e.units)
            .sort(),
        ).toEqual([100, 200])
        await holds().settle([
          { accountId: acct, currency: 'usd', units: 400, ref: r2, reverse: false },
        ])
        expect(await sweepFor(acct, FAR)).toEqual([])
      })

      it('moves a deadline with extend, and holds nothing for a debit that was refused', async () => {
        const acct = await funded(500)
        const now = Date.now()
        const ref = id('r')
        await ledger.spend({
          accountId: acct,
          currency: 'usd',
          units: 300,
          ref,
          holdUntil: now + 1_000,
        })
        const refused = await ledger.spend({
          accountId: acct,
          currency: 'usd',
          units: 300,
          ref: id('r'),
          holdUntil: now + 1_000,
        })
        expect(refused).toMatchObject({ ok: false, reason: 'insufficient_credits' })
        await holds().extend([{ accountId: acct, currency: 'usd', units: 300, ref }], now + 60_000)
        expect(await sweepFor(acct, now + 5_000)).toEqual([])
        expect(await ledger.balance(acct, 'usd')).toBe(200)
        // Past the new deadline only the debit that was applied comes back: a refused one is not money.
        expect(await sweepFor(acct, now + 61_000)).toEqual([
          { accountId: acct, currency: 'usd', units: 300, ref },
        ])
        expect(await ledger.balance(acct, 'usd')).toBe(500)
        await expectJournalMatchesBalances(ledger, acct)
      })

      it('holds the spend of a credit and spend, and gives back only debits that were applied', async () => {
        const acct = id('acct')
        const ref = id('r')
        const result = await ledger.creditAndSpend({
          credit: { accountId: acct, currency: 'usd', units: 1_000, kind: 'top_up', ref: id('pi') },
          spend: { units: 250, ref, holdUntil: Date.now() + 60_000 },
        })
        expect(result.spend.ok).toBe(true)
        // A reversal asked for a debit that never happened gives nothing.
        const never = { accountId: acct, currency: 'usd', units: 999, ref: id('r'), reverse: true }
        expect(await holds().settle([never])).toBe(0)
        expect(await ledger.balance(acct, 'usd')).toBe(750)
        expect(
          await holds().settle([
            { accountId: acct, currency: 'usd', units: 250, ref, reverse: true },
          ]),
        ).toBe(1)
        expect(await ledger.balance(acct, 'usd')).toBe(1_000)
        await expectJournalMatchesBalances(ledger, acct)
      })

      it('gives back each of 40 held debits once while settles and sweeps race', async () => {
        const acct = await funded(40 * 25)
        const now = Date.now()
        const debits = Array.from({ length: 40 }, () => ({
          accountId: acct,
          currency: 'usd',
          units: 25,
          ref: id('r'),
        }))
        await Promise.all(debits.map((debit) => ledger.spend({ ...debit, holdUntil: now + 1_000 })))
        expect(await ledger.balance(acct, 'usd')).toBe(0)
        await Promise.all([
          ...debits.map((debit, i) => holds().settle([{ ...debit, reverse: i % 2 === 0 }])),
          sweepFor(acct, now + 2_000),
          sweepFor(acct, now + 2_000),
        ])
        await sweepFor(acct, FAR)
        const entries = await expectJournalMatchesBalances(ledger, acct)
        const reversals = entries.filter((e) => e.kind === 'reversal')
        // Even ones were reversed; an odd one is given back only if a sweep took it before its confirmation.
        expect(new Set(reversals.map((e) => e.ref)).size).toBe(reversals.length)
        expect(reversals.length).toBeGreaterThanOrEqual(20)
        expect(await ledger.balance(acct, 'usd')).toBe(reversals.length * 25)
      })

      it('refuses malformed held debits and changes nothing', async () => {
        const acct = await funded(100)
        await expect(
          ledger.spend({
            accountId: acct,
            currency: 'usd',
            units: 10,
            ref: '',
            holdUntil: Date.now(),
          }),
        ).rejects.toThrow(TypeError)
        await expect(
          ledger.spend({ accountId: acct, currency: 'usd', units: 10, ref: 'x', holdUntil: -5 }),
        ).rejects.toThrow(TypeError)
        await expect(
          holds().settle([
            { accountId: acct, currency: 'usd', units: -10, ref: 'x', reverse: true },
          ]),
        ).rejects.toThrow(TypeError)
        expect(await ledger.balance(acct, 'usd')).toBe(100)
      })
    })

    describe('clawbacks', () => {
      it('takes back at most the balance, once per (kind, ref)', async () => {
        const acct = id('acct')
        const ref = id('re')
        await ledger.credit({
          accountId: acct,
          currency: 'usd',
          units: 1_000,
          kind: 'top_up',
          ref: id('pi'),
        })
        await ledger.spend({ accountId: acct, currency: 'usd', units: 700, ref: 'r' })
        expect(
          await ledger.clawback({
            accountId: acct,
            currency: 'usd',
            units: 500,
            kind: 'refund',
            ref,
          }),
        ).toEqual({
          applied: true,
          taken: 300,
          balance: 0,
        })
        expect(
          await ledger.clawback({
            accountId: acct,
            currency: 'usd',
            units: 500,
            kind: 'refund',
            ref,
          }),
        ).toEqual({
          applied: false,
          taken: 0,
          balance: 0,
        })
        expect(await ledger.hasEntry(acct, 'refund', ref)).toBe(true)
        await expectJournalMatchesBalances(ledger, acct)
      })

      it('records a clawback of an empty balance once, as zero', async () => {
        const acct = id('acct')
        const ref = id('dp')
        expect(
          await ledger.clawback({
            accountId: acct,
            currency: 'usd',
            units: 900,
            kind: 'dispute',
            ref,
          }),
        ).toEqual({
          applied: true,
          taken: 0,
          balance: 0,
        })
        expect(await ledger.hasEntry(acct, 'dispute', ref)).toBe(true)
        expect((await ledger.journal(acct)).map((e) => [e.kind, e.units, e.balanceAfter])).toEqual([
          ['dispute', 0, 0],
        ])
      })

      it('applies 20 concurrent identical clawbacks once', async () => {
        const acct = id('acct')
        const ref = id('dp')
        await ledger.credit({
          accountId: acct,
          currency: 'usd',
          units: 5_000,
          kind: 'top_up',
          ref: id('pi'),
        })
        const results = await Promise.all(
          Array.from({ length: 20 }, () =>
            ledger.clawback({
              accountId: acct,
              currency: 'usd',
              units: 2_000,
              kind: 'dispute',
              ref,
            }),
          ),
        )
        expect(results.filter((r) => r.applied)).toEqual([
          { applied: true, taken: 2_000, balance: 3_000 },
        ])
        expect(await ledger.balance(acct, 'usd')).toBe(3_000)
        await expectJournalMatchesBalances(ledger, acct)
      })
    })

    describe('credit and spend in one step', () => {
      it('credits once and spends, and the credit stands when the spend cannot happen', async () => {
        const acct = id('acct')
        const pi = id('pi')
        const step = (ref: string, extra: { credentialHash?: string } = {}) =>
          ledger.creditAndSpend({
            credit: { accountId: acct, currency: 'usd', units: 5_000, kind: 'top_up', ref },
            spend: { units: 500, ref: 'GET /x', ...extra },
          })
        expect(await step(pi)).toEqual({
          applied: true,
          spend: { ok: true, accountId: acct, balance: 4_500, entryId: expect.any(String) },
        })
        // The same PaymentIntent again: no second credit, the spend still happens.
        expect(await step(pi)).toMatchObject({
          applied: false,
          spend: { ok: true, balance: 4_000 },
        })
        expect(await step(id('pi'), { credentialHash: 'f'.repeat(64) })).toEqual({
          applied: true,
          spend: { ok: false, reason: 'unknown_credential', accountId: acct },
        })
        await ledger.setFrozen(acct, true)
        expect(await step(id('pi'))).toEqual({
          applied: true,
          spend: { ok: false, reason: 'account_frozen', accountId: acct },
        })
        expect(await ledger.balance(acct, 'usd')).toBe(14_000)
        const entries = await expectJournalMatchesBalances(ledger, acct)
        expect(entries.map((e) => e.kind)).toEqual(['top_up', 'debit', 'debit', 'top_up', 'top_up'])
        await expect(
          ledger.creditAndSpend({
            credit: { accountId: acct, currency: 'usd', units: 1, kind: 'top_up', ref: id('pi') },
            spend: { units: 0, ref: 'r' },
          }),
        ).rejects.toThrow(TypeError)
        expect(await ledger.balance(acct, 'usd')).toBe(14_000)
      })

      it('lets no concurrent spend take the new credits between the credit and its spend', async () => {
        const acct = id('acct')
        const racers = Array.from({ length: 30 }, () =>
          ledger.spend({ accountId: acct, currency: 'usd', units: 100, ref: 'race' }),
        )
        const step = ledger.creditAndSpend({
          credit: { accountId: acct, currency: 'usd', units: 1_000, kind: 'top_up', ref: id('pi') },
          spend: { units: 1_000, ref: 'GET /x' },
        })
        const more = Array.from({ length: 30 }, () =>
          ledger.spend({ accountId: acct, currency: 'usd', units: 100, ref: 'race' }),
        )
        const [result] = await Promise.all([step, ...racers, ...more])
        expect(result).toMatchObject({ applied: true, spend: { ok: true, balance: 0 } })
        expect(await ledger.balance(acct, 'usd')).toBe(0)
        await expectJournalMatchesBalances(ledger, acct)
      })

      it('pays a shortfall off before the spend', async () => {
        const acct = id('acct')
        await ledger.clawback({
          accountId: acct,
          currency: 'usd',
          units: 300,
          kind: 'refund',
          ref: id('re'),
        })
        const result = await ledger.creditAndSpend({
          credit: { accountId: acct, currency: 'usd', units: 1_000, kind: 'top_up', ref: id('pi') },
          spend: { units: 800, ref: 'r' },
        })
        expect(result.spend).toEqual({
          ok: false,
          reason: 'insufficient_credits',
          accountId: acct,
          balance: 700,
        })
        expect(await ledger.shortfall(acct, 'usd')).toBe(0)
      })
    })

    describe('shortfalls', () => {
      it('records what a clawback could not take, and the next credits pay it off first', async () => {
        const acct = id('acct')
        const pi = id('pi')
        await ledger.credit({
          accountId: acct,
          currency: 'usd',
          units: 1_000,
          kind: 'top_up',
          ref: id('pi'),
        })
        await ledger.spend({ accountId: acct, currency: 'usd', units: 800, ref: 'r' })
        // A refund of 700 finds 200 left: 500 stays owed.
        expect(
          await ledger.clawback({
            accountId: acct,
            currency: 'usd',
            units: 700,
            kind: 'refund',
            ref: id('re'),
          }),
        ).toEqual({ applied: true, taken: 200, balance: 0 })
        expect(await ledger.shortfall(acct, 'usd')).toBe(500)
        expect(await ledger.shortfall(acct, 'eur')).toBe(0)
        // A credit in another currency does not pay it.
        expect(
          await ledger.credit({
            accountId: acct,
            currency: 'eur',
            units: 300,
            kind: 'top_up',
            ref: id('pi'),
          }),
        ).toEqual({ applied: true, balance: 300 })
        expect(
          await ledger.credit({
            accountId: acct,
            currency: 'usd',
            units: 300,
            kind: 'reversal',
            ref: id('je'),
          }),
        ).toEqual({ applied: true, balance: 0 })
        expect(await ledger.shortfall(acct, 'usd')).toBe(200)
        expect(
          await ledger.credit({
            accountId: acct,
            currency: 'usd',
            units: 5_000,
            kind: 'top_up',
            ref: pi,
          }),
        ).toEqual({ applied: true, balance: 4_800 })
        // A repeated credit pays nothing twice.
        expect(
          await ledger.credit({
            accountId: acct,
            currency: 'usd',
            units: 5_000,
            kind: 'top_up',
            ref: pi,
          }),
        ).toEqual({ applied: false, balance: 4_800 })
        expect(await ledger.shortfall(acct, 'usd')).toBe(0)
        const entries = await expectJournalMatchesBalances(ledger, acct)
        expect(
          entries
            .filter((e) => e.currency === 'usd')
            .slice(-3)
            .map((e) => [e.kind, e.units, e.ref, e.balanceAfter]),
        ).toEqual([
          ['shortfall', -300, `reversal:${entries.find((e) => e.kind === 'reversal')?.ref}`, 0],
          ['top_up', 5_000, pi, 5_000],
          ['shortfall', -200, `top_up:${pi}`, 4_800],
        ])
        expect(await ledger.hasEntry(acct, 'shortfall', `top_up:${pi}`)).toBe(true)
      })

      it('adds up the shortfalls of several clawbacks on an empty balance', async () => {
        const acct = id('acct')
        await ledger.clawback({
          accountId: acct,
          currency: 'usd',
          units: 900,
          kind: 'dispute',
          ref: id('dp'),
        })
        await ledger.clawback({
          accountId: acct,
          currency: 'usd',
          units: 100,
          kind: 'refund',
          ref: id('re'),
        })
        expect(await ledger.shortfall(acct, 'usd')).toBe(1_000)
        expect(
          await ledger.credit({
            accountId: acct,
            currency: 'usd',
            units: 1_000,
            kind: 'top_up',
            ref: id('pi'),
          }),
        ).toEqual({ applied: true, balance: 0 })
        expect(await ledger.shortfall(acct, 'usd')).toBe(0)
        await expectJournalMatchesBalances(ledger, acct)
      })
    })

    describe('history', () => {
      it('tells an account with entries or a freeze from one never seen', async () => {
        const [used, frozen, fresh] = [id('acct'), id('acct'), id('acct')]
        await ledger.clawback({
          accountId: used,
          currency: 'usd',
          units: 1,
          kind: 'refund',
          ref: id('re'),
        })
        await ledger.setFrozen(frozen, true)
        expect(await ledger.hasHistory(used)).toBe(true)
        expect(await ledger.hasHistory(frozen)).toBe(true)
        expect(await ledger.hasHistory(fresh)).toBe(false)
        await ledger.balance(fresh, 'usd')
        expect(await ledger.hasHistory(fresh)).toBe(false)
      })
    })

    describe('journal', () => {
      it('records each kind with its sign, ref and balance after', async () => {
        const acct = id('acct')
        const pi = id('pi')
        await ledger.credit({
          accountId: acct,
          currency: 'usd',
          units: 10_000,
          kind: 'top_up',
          ref: pi,
        })
        const spent = await ledger.spend({
          accountId: acct,
          currency: 'usd',
          units: 1_500,
          ref: 'GET /api/weather',
        })
        if (!spent.ok) throw new Error('spend failed')
        await ledger.credit({
          accountId: acct,
          currency: 'usd',
          units: 1_500,
          kind: 'reversal',
          ref: spent.entryId,
        })
        await ledger.clawback({
          accountId: acct,
          currency: 'usd',
          units: 4_000,
          kind: 'refund',
          ref: 're_1',
        })
        await ledger.clawback({
          accountId: acct,
          currency: 'usd',
          units: 1_000,
          kind: 'dispute',
          ref: 'dp_1',
        })
        await ledger.credit({
          accountId: acct,
          currency: 'usd',
          units: 250,
          kind: 'adjustment',
          ref: 'adj "ü/€"\n1',
        })
        const entries = await expectJournalMatchesBalances(ledger, acct)
        expect(entries.map((e) => [e.kind, e.units, e.ref, e.balanceAfter])).toEqual([
          ['top_up', 10_000, pi, 10_000],
          ['debit', -1_500, 'GET /api/weather', 8_500],
          ['reversal', 1_500, spent.entryId, 10_000],
          ['refund', -4_000, 're_1', 6_000],
          ['dispute', -1_000, 'dp_1', 5_000],
          ['adjustment', 250, 'adj "ü/€"\n1', 5_250],
        ])
        expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length)
        expect(entries[1]?.id).toBe(spent.entryId)
        for (const entry of entries) expect(entry.at).toBeGreaterThan(Date.UTC(2020, 0, 1))
        expect(await ledger.hasEntry(acct, 'debit', 'GET /api/weather')).toBe(true)
        expect(await ledger.hasEntry(acct, 'reversal', spent.entryId)).toBe(true)
        // Scoped to the account: another account never sees these entries.
        expect(await ledger.hasEntry(id('acct'), 'top_up', pi)).toBe(false)
      })

      it('reverses a debit once, keyed by its entry id', async () => {
        const acct = id('acct')
        await ledger.credit({
          accountId: acct,
          currency: 'usd',
          units: 1_000,
          kind: 'top_up',
          ref: id('pi'),
        })
        const spent = await ledger.spend({ accountId: acct, currency: 'usd', units: 400, ref: 'r' })
        if (!spent.ok) throw new Error('spend failed')
        const reversals = await Promise.all(
          Array.from({ length: 10 }, () =>
            ledger.credit({
              accountId: acct,
              currency: 'usd',
              units: 400,
              kind: 'reversal',
              ref: spent.entryId,
            }),
          ),
        )
        expect(reversals.filter((r) => r.applied)).toHaveLength(1)
        expect(await ledger.balance(acct, 'usd')).toBe(1_000)
      })
    })

    describe('credentials', () => {
      const hash = () => id('cred').padEnd(64, '0')

      it('spends through a credential issued for the account', async () => {
        const acct = id('acct')
        const cred = hash()
        await ledger.credit({
          accountId: acct,
          currency: 'usd',
          units: 1_000,
          kind: 'top_up',
          ref: id('pi'),
        })
        await ledger.issueCredential(cred, acct)
        await ledger.issueCredential(cred, acct)
        expect(
          await ledger.spend({
            accountId: acct,
            credentialHash: cred,
            currency: 'usd',
            units: 100,
            ref: 'r',
          }),
        ).toMatchObject({
          ok: true,
          balance: 900,
        })
      })

      it('refuses an unknown credential and one issued for another account, spending nothing', async () => {
        const acct = id('acct')
        const victim = id('acct')
        const cred = hash()
        await ledger.credit({
          accountId: victim,
          currency: 'usd',
          units: 1_000,
          kind: 'top_up',
          ref: id('pi'),
        })
        await ledger.issueCredential(cred, acct)
        expect(
          await ledger.spend({
            accountId: victim,
            credentialHash: hash(),
            currency: 'usd',
            units: 100,
            ref: 'r',
          }),
        ).toMatchObject({
          ok: false,
          reason: 'unknown_credential',
          accountId: victim,
        })
        expect(
          await ledger.spend({
            accountId: victim,
            credentialHash: cred,
            currency: 'usd',
            units: 100,
            ref: 'r',
          }),
        ).toMatchObject({
          ok: false,
          reason: 'unknown_credential',
        })
        // Issuing a known hash again for another account does not rebind it.
        await ledger.issueCredential(cred, victim)
        expect(
          await ledger.spend({
            accountId: victim,
            credentialHash: cred,
            currency: 'usd',
            units: 100,
            ref: 'r',
          }),
        ).toMatchObject({
          ok: false,
          reason: 'unknown_credential',
        })
        expect(await ledger.balance(victim, 'usd')).toBe(1_000)
      })

      it('revokes at once, and a revoked credential stays revoked', async () => {
        const acct = id('acct')
        const cred = hash()
        await ledger.credit({
          accountId: acct,
          currency: 'usd',
          units: 1_000,
          kind: 'top_up',
          ref: id('pi'),
        })
        await ledger.issueCredential(cred, acct)
        expect(await ledger.revokeCredential(cred)).toBe(true)
        expect(
          await ledger.spend({
            accountId: acct,
            credentialHash: cred,
            currency: 'usd',
            units: 100,
            ref: 'r',
          }),
        ).toMatchObject({
          ok: false,
          reason: 'credential_revoked',
          accountId: acct,
        })
        expect(await ledger.revokeCredential(cred)).toBe(false)
        expect(await ledger.revokeCredential(hash())).toBe(false)
        await ledger.issueCredential(cred, acct)
        expect(
          await ledger.spend({
            accountId: acct,
            credentialHash: cred,
            currency: 'usd',
            units: 100,
            ref: 'r',
          }),
        ).toMatchObject({
          ok: false,
          reason: 'credential_revoked',
        })
        expect(await ledger.balance(acct, 'usd')).toBe(1_000)
      })
    })

    describe('frozen accounts', () => {
      it('cannot spend while frozen, and can again once unfrozen', async () => {
        const acct = id('acct')
        await ledger.credit({
          accountId: acct,
          currency: 'usd',
          units: 1_000,
          kind: 'top_up',
          ref: id('pi'),
        })
        await ledger.setFrozen(acct, true)
        await ledger.setFrozen(acct, true)
        expect(
          await ledger.spend({ accountId: acct, currency: 'usd', units: 100, ref: 'r' }),
        ).toMatchObject({
          ok: false,
          reason: 'account_frozen',
          accountId: acct,
        })
        expect(await ledger.balance(acct, 'usd')).toBe(1_000)
        expect(
          await ledger.spend({ accountId: id('acct'), currency: 'usd', units: 100, ref: 'r' }),
        ).toMatchObject({ reason: 'insufficient_credits' })
        await ledger.setFrozen(acct, false)
        expect(
          await ledger.spend({ accountId: acct, currency: 'usd', units: 100, ref: 'r' }),
        ).toMatchObject({ ok: true, balance: 900 })
      })
    })

    describe('locks', () => {
      it('is held by one owner at a time, and only the owner releases it', async () => {
        const key = id('lock')
        const token = await ledger.acquireLock(key, 30_000)
        expect(token).toEqual(expect.any(String))
        expect(await ledger.acquireLock(key, 30_000)).toBeNull()
        await ledger.releaseLock(key, 'not-the-owner')
        expect(await ledger.acquireLock(key, 30_000)).toBeNull()
        await ledger.releaseLock(key, token as string)
        const next = await ledger.acquireLock(key, 30_000)
        expect(next).toEqual(expect.any(String))
        expect(next).not.toBe(token)
        expect(await ledger.acquireLock(id('lock'), 30_000)).toEqual(expect.any(String))
      })

      it('gives the lock to exactly one of 20 concurrent callers', async () => {
        const key = id('lock')
        const tokens = await Promise.all(
          Array.from({ length: 20 }, () => ledger.acquireLock(key, 30_000)),
        )
        expect(tokens.filter((t) => t !== null)).toHaveLength(1)
      })

      it('expires, and the late owner cannot release its successor', async () => {
        const key = id('lock')
        const stale = await ledger.acquireLock(key, 100)
        expect(stale).not.toBeNull()
        await sleep(250)
        const fresh = await ledger.acquireLock(key, 30_000)
        expect(fresh).not.toBeNull()
        await ledger.releaseLock(key, stale as string)
        expect(await ledger.acquireLock(key, 30_000)).toBeNull()
      })
    })

    describe('lock renewal', () => {
      it('is renewed by its owner only, and a renewed lock outlives its first lifetime', async () => {
        const key = id('lock')
        const token = (await ledger.acquireLock(key, 200)) as string
        expect(await ledger.renewLock(key, 'not-the-owner', 30_000)).toBe(false)
        expect(await ledger.renewLock(key, token, 30_000)).toBe(true)
        await sleep(350)
        expect(await ledger.acquireLock(key, 30_000)).toBeNull()
        await ledger.releaseLock(key, token)
        expect(await ledger.acquireLock(key, 30_000)).toEqual(expect.any(String))
      })

      it('cannot be renewed once it expired, nor take the lock back from a successor', async () => {
        const key = id('lock')
        const stale = (await ledger.acquireLock(key, 100)) as string
        await sleep(250)
        expect(await ledger.renewLock(key, stale, 30_000)).toBe(false)
        const fresh = await ledger.acquireLock(key, 30_000)
        expect(fresh).toEqual(expect.any(String))
        expect(await ledger.renewLock(key, stale, 30_000)).toBe(false)
        expect(await ledger.renewLock(id('lock'), stale, 30_000)).toBe(false)
      })
    })

    describe('pending records', () => {
      it('keeps a record until it is cleared with its own value or expires', async () => {
        const key = id('pending')
        expect(await ledger.getPending(key)).toBeNull()
        await ledger.setPending(key, 'first', 30_000)
        expect(await ledger.getPending(key)).toBe('first')
        await ledger.setPending(key, '{"replaced":"ü"}', 30_000)
        expect(await ledger.getPending(key)).toBe('{"replaced":"ü"}')
        // A late caller holding the old value does not delete its successor's record.
        await ledger.clearPending(key, 'first')
        expect(await ledger.getPending(key)).toBe('{"replaced":"ü"}')
        await ledger.clearPending(key, '{"replaced":"ü"}')
        expect(await ledger.getPending(key)).toBeNull()
        const short = id('pending')
        await ledger.setPending(short, 'x', 100)
        await sleep(250)
        expect(await ledger.getPending(short)).toBeNull()
        await expect(ledger.setPending(id('pending'), '', 1_000)).rejects.toThrow(TypeError)
      })
    })

    describe('hit counter', () => {
      it('counts hits per key within a window', async () => {
        const key = id('ip')
        const windowMs = 60_000
        let first = await ledger.hit(key, windowMs)
        // Near the end of a window the next hits could land in the next one: start afresh there.
        if (first.resetMs < 2_000) {
          await sleep(first.resetMs + 50)
          first = await ledger.hit(key, windowMs)
        }
        expect(first.count).toBe(1)
        expect(first.resetMs).toBeGreaterThan(0)
        expect(first.resetMs).toBeLessThanOrEqual(windowMs)
        expect((await ledger.hit(key, windowMs)).count).toBe(2)
        expect((await ledger.hit(key, windowMs)).count).toBe(3)
        expect((await ledger.hit(id('ip'), windowMs)).count).toBe(1)
      })

      it('counts concurrent hits without losing any', async () => {
        const key = id('ip')
        const windowMs = 60_000
        // Windows aligned to the clock (memory, PostgreSQL) end for every key at once: stay clear of an end.
        const probe = await ledger.hit(key, windowMs)
        if (probe.resetMs < 2_000) await sleep(probe.resetMs + 50)
        const otherKey = id('ip')
        const counts = await Promise.all(
          Array.from({ length: 30 }, () => ledger.hit(otherKey, windowMs)),
        )
        expect(counts.map((c) => c.count).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 30 }, (_, i) => i + 1),
        )
      })

      it('aligns windows to the clock, so a limit means the same on every ledger', async () => {
        const windowMs = 60_000
        const before = Date.now()
        const { resetMs } = await ledger.hit(id('ip'), windowMs)
        const after = Date.now()
        // The window ends at the next multiple of windowMs since the epoch, not windowMs after the first hit.
        const end = before - (before % windowMs) + windowMs
        if (end - before > 1_000) {
          expect(resetMs).toBeGreaterThanOrEqual(end - after - 50)
          expect(resetMs).toBeLessThanOrEqual(end - before + 50)
        }
      })

      it('starts a new count once the window has passed', async () => {
        const key = id('ip')
        await ledger.hit(key, 300)
        // Wait out the window of the latest hit (the two hits may straddle a window boundary).
        const latest = await ledger.hit(key, 300)
        await sleep(latest.resetMs + 50)
        expect((await ledger.hit(key, 300)).count).toBe(1)
      })
    })

    describe('an unreachable backend', () => {
      it('fails with LedgerUnavailableError instead of hanging or letting a request through', async (ctx) => {
        if (!harness.unreachable) return ctx.skip()
        const down = await harness.unreachable()
        try {
          const acct = id('acct')
          await expect(
            down.ledger.spend({ accountId: acct, currency: 'usd', units: 1, ref: 'r' }),
          ).rejects.toBeInstanceOf(LedgerUnavailableError)
          await expect(
            down.ledger.credit({
              accountId: acct,
              currency: 'usd',
              units: 1,
              kind: 'top_up',
              ref: 'pi',
            }),
          ).rejects.toBeInstanceOf(LedgerUnavailableError)
          await expect(down.ledger.balance(acct, 'usd')).rejects.toBeInstanceOf(
            LedgerUnavailableError,
          )
          await expect(down.ledger.acquireLock(id('lock'), 1_000)).rejects.toBeInstanceOf(
            LedgerUnavailableError,
          )
          await expect(down.ledger.renewLock(id('lock'), 't', 1_000)).rejects.toBeInstanceOf(
            LedgerUnavailableError,
          )
          await expect(down.ledger.revokeCredential('x'.repeat(64))).rejects.toBeInstanceOf(
            LedgerUnavailableError,
          )
        } finally {
          await down.teardown()
        }
      }, 15_000)
    })
  })
}
