import { PGlite } from '@electric-sql/pglite'
import { describe, expect, it } from 'vitest'
import { runLedgerContract } from './contract'
import { PostgresLedger } from './postgres'
import { LedgerUnavailableError } from './types'

runLedgerContract('PGlite', async () => {
  const ledger = await PostgresLedger.embedded()
  return {
    ledger,
    // A closed PGlite stands in for an unreachable database.
    unreachable: async () => {
      const down = await PostgresLedger.embedded()
      await down.close()
      return { ledger: down, teardown: async () => {} }
    },
    teardown: () => ledger.close(),
  }
})

describe('PostgresLedger on PGlite', () => {
  it('migrates again without losing data, under a custom schema', async () => {
    const db = await PGlite.create()
    const ledger = new PostgresLedger(db, { schema: 'billing' })
    await ledger.migrate()
    await ledger.credit({
      accountId: 'a',
      currency: 'usd',
      units: 700,
      kind: 'top_up',
      ref: 'pi_1',
    })
    await Promise.all([ledger.migrate(), ledger.migrate()])
    expect(await ledger.balance('a', 'usd')).toBe(700)
    const tables = await db.query<{ table_name: string }>(
      `select table_name from information_schema.tables where table_schema = 'billing' order by table_name`,
    )
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'balances',
      'credentials',
      'frozen_accounts',
      'held_debits',
      'journal',
      'locks',
      'pending',
      'rate_counters',
    ])
    // close() leaves a database it was handed open: its owner closes it.
    await ledger.close()
    expect(db.closed).toBe(false)
    await db.close()
  })

  it('upgrades a database migrated before shortfalls existed', async () => {
    const db = await PGlite.create()
    const ledger = new PostgresLedger(db)
    await ledger.migrate()
    // The previous schema: no shortfall column, no pending table, a journal check without 'shortfall'.
    await db.exec(`
      alter table stripe402.balances drop column shortfall;
      drop table stripe402.pending;
      alter table stripe402.journal drop constraint journal_kind_check;
      alter table stripe402.journal add check (kind in ('top_up', 'debit', 'reversal', 'refund', 'dispute', 'adjustment'));
    `)
    await db.exec(`
      insert into stripe402.balances (account_id, currency, balance) values ('a', 'usd', 100);
      insert into stripe402.journal (account_id, currency, kind, units, ref, balance_after) values ('a', 'usd', 'top_up', 100, 'pi_old', 100);
    `)
    await ledger.migrate()
    await ledger.clawback({
      accountId: 'a',
      currency: 'usd',
      units: 300,
      kind: 'refund',
      ref: 're_1',
    })
    expect(
      await ledger.credit({
        accountId: 'a',
        currency: 'usd',
        units: 500,
        kind: 'top_up',
        ref: 'pi_new',
      }),
    ).toEqual({ applied: true, balance: 300 })
    expect((await ledger.journal('a')).map((e) => e.kind)).toEqual([
      'top_up',
      'refund',
      'top_up',
      'shortfall',
    ])
    await ledger.setPending('k', 'v', 1_000)
    expect(await ledger.getPending('k')).toBe('v')
    await db.close()
  })

  it('keeps the journal append-only', async () => {
    const db = await PGlite.create()
    const ledger = new PostgresLedger(db)
    await ledger.migrate()
    await ledger.credit({
      accountId: 'a',
      currency: 'usd',
      units: 700,
      kind: 'top_up',
      ref: 'pi_1',
    })
    await expect(db.query(`update stripe402.journal set units = 1000000`)).rejects.toThrow(
      /append-only/,
    )
    await expect(db.query(`delete from stripe402.journal`)).rejects.toThrow(/append-only/)
    expect(await ledger.journal('a')).toHaveLength(1)
    await db.close()
  })

  it('answers LedgerUnavailableError, naming migrate(), when the schema was never created', async () => {
    const db = await PGlite.create()
    const ledger = new PostgresLedger(db)
    const spending = ledger.spend({ accountId: 'a', currency: 'usd', units: 1, ref: 'r' })
    await expect(spending).rejects.toBeInstanceOf(LedgerUnavailableError)
    await expect(spending).rejects.toThrow(/migrate\(\)/)
    await db.close()
  })

  it('rejects a schema name that is not a plain identifier', () => {
    expect(
      () =>
        new PostgresLedger(
          { query: async () => ({ rows: [] }) },
          { schema: 'x"; drop table y; --' },
        ),
    ).toThrow(TypeError)
  })
})
