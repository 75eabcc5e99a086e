import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, describe, expect, it } from 'vitest'
import { runLedgerContract } from './contract'
import { SqliteLedger } from './sqlite'
import { LedgerUnavailableError } from './types'

const dir = mkdtempSync(join(tmpdir(), 'stripe402-sqlite-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const file = () => join(dir, `ledger-${++files}.sqlite`)

runLedgerContract('SQLite', async () => {
  const ledger = await SqliteLedger.open(file())
  return {
    ledger,
    // A closed database stands in for a file that cannot be used.
    unreachable: async () => {
      const down = await SqliteLedger.open(file())
      await down.close()
      return { ledger: down, teardown: async () => {} }
    },
    teardown: () => ledger.close(),
  }
})

describe('SqliteLedger', () => {
  it('undoes only the call that fails when calls of one turn share a transaction, and journals nothing of it', async () => {
    const ledger = await SqliteLedger.open(file())
    try {
      const top = (accountId: string, units: number, ref: string) =>
        ledger.credit({ accountId, currency: 'usd', units, kind: 'top_up', ref })
      await top('b', 1_000, 'pi_b')
      await top('c', 1_000, 'pi_c')
      await top('full', Number.MAX_SAFE_INTEGER - 10, 'pi_full')
      // One turn of the event loop: one transaction. The middle credit would pass 2^53 - 1 units and is refused.
      const [b, overflow, c] = await Promise.allSettled([
        ledger.spend({ accountId: 'b', currency: 'usd', units: 100, ref: 'GET /x#1' }),
        top('full', 100, 'pi_over'),
        ledger.spend({ accountId: 'c', currency: 'usd', units: 300, ref: 'GET /x#2' }),
      ])
      expect(b).toMatchObject({ status: 'fulfilled', value: { ok: true, balance: 900 } })
      expect(overflow.status).toBe('rejected')
      expect(c).toMatchObject({ status: 'fulfilled', value: { ok: true, balance: 700 } })
      expect(await ledger.balance('b', 'usd')).toBe(900)
      expect(await ledger.balance('c', 'usd')).toBe(700)
      expect(await ledger.balance('full', 'usd')).toBe(Number.MAX_SAFE_INTEGER - 10)
      // The refused credit's journal line went with it; the debits' lines stand.
      expect((await ledger.journal('full')).map((e) => e.ref)).toEqual(['pi_full'])
      expect((await ledger.journal('b')).map((e) => e.kind)).toEqual(['top_up', 'debit'])
      expect((await ledger.journal('c')).map((e) => e.kind)).toEqual(['top_up', 'debit'])
    } finally {
      await ledger.close()
    }
  })

  it('keeps balances and the journal in its file across a reopen, in WAL mode', async () => {
    const path = file()
    const first = await SqliteLedger.open(path)
    await first.credit({ accountId: 'a', currency: 'usd', units: 700, kind: 'top_up', ref: 'pi_1' })
    await first.spend({ accountId: 'a', currency: 'usd', units: 200, ref: 'GET /x' })
    await first.close()
    const again = await SqliteLedger.open(path)
    expect(await again.balance('a', 'usd')).toBe(500)
    expect((await again.journal('a')).map((e) => [e.kind, e.units, e.balanceAfter])).toEqual([
      ['top_up', 700, 700],
      ['debit', -200, 500],
    ])
    expect(
      await again.credit({
        accountId: 'a',
        currency: 'usd',
        units: 700,
        kind: 'top_up',
        ref: 'pi_1',
      }),
    ).toEqual({ applied: false, balance: 500 })
    await again.close()
    const db = new DatabaseSync(path)
    expect(db.prepare('pragma journal_mode').get()).toEqual({ journal_mode: 'wal' })
    db.close()
  })

  it('drops the hold_until index a file of an earlier version has, and still sweeps what is due', async () => {
    const path = file()
    const old = new DatabaseSync(path)
    old.exec(`create table held_debits (account_id text not null, ref text not null, currency text not null,
      units integer not null check (units > 0), hold_until integer not null, primary key (account_id, ref)) strict, without rowid;
      create index held_debits_due on held_debits (hold_until);`)
    old.close()
    const ledger = await SqliteLedger.open(path)
    try {
      const db = new DatabaseSync(path)
      const indexes = db
        .prepare("select name from sqlite_master where type = 'index' and tbl_name = 'held_debits'")
        .all()
      db.close()
      expect(indexes.map((row) => row.name)).not.toContain('held_debits_due')
      await ledger.credit({
        accountId: 'a',
        currency: 'usd',
        units: 500,
        kind: 'top_up',
        ref: 'pi_a',
      })
      const now = Date.now()
      for (const [ref, holdUntil] of [
        ['due', now - 1],
        ['later', now + 60_000],
      ] as const)
        await ledger.spend({ accountId: 'a', currency: 'usd', units: 100, ref, holdUntil })
      const swept = await ledger.holds.sweep(now, 10)
      expect(swept.map((debit) => debit.ref)).toEqual(['due'])
      expect(await ledger.balance('a', 'usd')).toBe(400)
      expect(await ledger.holds.count()).toBe(1)
    } finally {
      await ledger.close()
    }
  })

  it('keeps the journal append-only', async () => {
    const db = new DatabaseSync(file())
    const ledger = new SqliteLedger(db)
    await ledger.credit({
      accountId: 'a',
      currency: 'usd',
      units: 700,
      kind: 'top_up',
      ref: 'pi_1',
    })
    expect(() => db.exec('update journal set units = 1000000')).toThrow(/append-only/)
    expect(() => db.exec('delete from journal')).toThrow(/append-only/)
    expect(await ledger.journal('a')).toHaveLength(1)
    // close() leaves a database it was handed open: its owner closes it.
    await ledger.close()
    expect(db.isOpen).toBe(true)
    db.close()
  })

  it('waits for another connection’s write, then answers LedgerUnavailableError, not a hang', async () => {
    const path = file()
    const ledger = await SqliteLedger.open(path, { busyTimeoutMs: 100 })
    await ledger.credit({
      accountId: 'a',
      currency: 'usd',
      units: 700,
      kind: 'top_up',
      ref: 'pi_1',
    })
    // Another process's transaction holding the write lock.
    const other = new DatabaseSync(path)
    other.exec('begin immediate')
    const started = Date.now()
    await expect(
      ledger.spend({ accountId: 'a', currency: 'usd', units: 1, ref: 'r' }),
    ).rejects.toBeInstanceOf(LedgerUnavailableError)
    expect(Date.now() - started).toBeGreaterThanOrEqual(90)
    // Readers are not blocked by a writer under WAL.
    expect(await ledger.balance('a', 'usd')).toBe(700)
    other.exec('rollback')
    expect(
      await ledger.spend({ accountId: 'a', currency: 'usd', units: 1, ref: 'r' }),
    ).toMatchObject({ ok: true, balance: 699 })
    other.close()
    await ledger.close()
  })

  it('fsyncs what must survive a power cut and leaves debits at synchronous=NORMAL, or fsyncs all on request', async () => {
    const db = new DatabaseSync(file())
    const ledger = new SqliteLedger(db)
    const synchronous = () =>
      (db.prepare('pragma synchronous').get() as { synchronous: number }).synchronous
    expect(synchronous()).toBe(1) // NORMAL
    await ledger.credit({
      accountId: 'a',
      currency: 'usd',
      units: 700,
      kind: 'top_up',
      ref: 'pi_1',
    })
    await ledger.revokeCredential('x'.repeat(64))
    expect(synchronous()).toBe(1)
    db.close()
    const full = await SqliteLedger.open(file(), { synchronous: 'full' })
    const fullDb = (full as unknown as { db: DatabaseSync }).db
    expect(fullDb.prepare('pragma synchronous').get()).toEqual({ synchronous: 2 })
    await full.close()
  })
})
