import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireService } from '../../../../test/services'
import { outcomes, spendInOneTurn } from '../../test/support/turn'
import { runLedgerContract } from './contract'
import { PostgresLedger } from './postgres'
import { LedgerUnavailableError } from './types'

const svc = await requireService('postgres')
// A schema per run: other engineers' tests share this database.
const schemaName = (what: string) =>
  `s402_${what}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`

async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`drop schema if exists "${schema}" cascade`)
}

describe.skipIf(!svc.available)('PostgresLedger on PostgreSQL', () => {
  runLedgerContract('PostgreSQL', async () => {
    const pool = new pg.Pool({ connectionString: svc.url, max: 10 })
    const schema = schemaName('contract')
    const ledger = new PostgresLedger(pool, { schema })
    await ledger.migrate()
    return {
      ledger,
      unreachable: async () => {
        // Port 1 on localhost: nothing listens there, so every connection is refused.
        const down = new pg.Pool({
          host: '127.0.0.1',
          port: 1,
          user: 'postgres',
          database: 'test',
          connectionTimeoutMillis: 2_000,
        })
        return { ledger: new PostgresLedger(down, { schema }), teardown: () => down.end() }
      },
      teardown: async () => {
        await dropSchema(pool, schema)
        await pool.end()
      },
    }
  })

  // The whole contract again with debits committed asynchronously: the same answers, to the unit.
  runLedgerContract('PostgreSQL, debitCommit async', async () => {
    const pool = new pg.Pool({ connectionString: svc.url, max: 10 })
    const schema = schemaName('async')
    const ledger = new PostgresLedger(pool, { schema, debitCommit: 'async' })
    await ledger.migrate()
    return {
      ledger,
      teardown: async () => {
        await dropSchema(pool, schema)
        await pool.end()
      },
    }
  })

  describe("debitCommit: 'async'", () => {
    const schema = schemaName('commit')
    const pool = new pg.Pool({ connectionString: svc.url, max: 2 })
    let client: pg.PoolClient
    beforeAll(async () => {
      client = await pool.connect()
      await new PostgresLedger(pool, { schema }).migrate()
    })
    afterAll(async () => {
      client.release()
      await dropSchema(pool, schema)
      await pool.end()
    })
    const setting = async () =>
      (await client.query('show synchronous_commit')).rows[0]?.synchronous_commit as string
    const fund = (ledger: PostgresLedger, ref: string) =>
      ledger.credit({ accountId: 'acct', currency: 'usd', units: 1_000, kind: 'top_up', ref })

    it("turns synchronous_commit off for a debit's own transaction only, never for the session or a credit", async () => {
      const ledger = new PostgresLedger(client, { schema, debitCommit: 'async' })
      await fund(ledger, 'pi_a')
      expect(await setting()).toBe('on')
      await client.query('begin')
      await ledger.credit({
        accountId: 'acct',
        currency: 'usd',
        units: 1,
        kind: 'top_up',
        ref: 'pi_b',
      })
      expect(await setting()).toBe('on') // money in stays synchronous
      await ledger.spend({ accountId: 'acct', currency: 'usd', units: 100, ref: 'r1' })
      expect(await setting()).toBe('off')
      await client.query('commit')
      // The session, which the pool hands to the next caller (a top-up credit), is as it was.
      expect(await setting()).toBe('on')
      await ledger.spend({
        accountId: 'acct',
        currency: 'usd',
        units: 100,
        ref: 'r2',
        holdUntil: Date.now() + 60_000,
      })
      expect(await setting()).toBe('on')
      expect(await ledger.balance('acct', 'usd')).toBe(1_000 + 1 - 200)
    })

    it("turns it off for a batch of debits' transaction too, and only for it", async () => {
      const ledger = new PostgresLedger(client, { schema, debitCommit: 'async' })
      await fund(ledger, 'pi_batch')
      const before = await ledger.balance('acct', 'usd')
      await client.query('begin')
      // Two debits in one turn: one spend_batch statement.
      await Promise.all(
        ['rb1', 'rb2'].map((ref) =>
          ledger.spend({ accountId: 'acct', currency: 'usd', units: 10, ref }),
        ),
      )
      expect(await setting()).toBe('off')
      await client.query('commit')
      expect(await setting()).toBe('on')
      expect(await ledger.balance('acct', 'usd')).toBe(before - 20)
    })

    it('leaves the default as PostgreSQL has it', async () => {
      const ledger = new PostgresLedger(client, { schema })
      await client.query('begin')
      await ledger.spend({ accountId: 'acct', currency: 'usd', units: 1, ref: 'r3' })
      expect(await setting()).toBe('on')
      await client.query('rollback')
    })

    it('refuses a setting it does not know', () => {
      expect(
        () => new PostgresLedger(client, { schema, debitCommit: 'off' as unknown as 'async' }),
      ).toThrow(/debitCommit must be 'sync' or 'async'/)
    })
  })

  describe('migrate()', () => {
    const pools: pg.Pool[] = []
    const schema = schemaName('migrate')
    beforeAll(() => {
      for (let i = 0; i < 4; i++) pools.push(new pg.Pool({ connectionString: svc.url, max: 2 }))
    })
    afterAll(async () => {
      await dropSchema(pools[0] as pg.Pool, schema)
      await Promise.all(pools.map((p) => p.end()))
    })

    it('is safe to run from several processes at once, and again later', async () => {
      const ledgers = pools.map((pool) => new PostgresLedger(pool, { schema }))
      await Promise.all(ledgers.flatMap((l) => [l.migrate(), l.migrate()]))
      const [a, b] = ledgers as [PostgresLedger, PostgresLedger]
      await a.credit({
        accountId: 'acct',
        currency: 'usd',
        units: 900,
        kind: 'top_up',
        ref: 'pi_1',
      })
      await b.migrate()
      expect(await b.balance('acct', 'usd')).toBe(900)
    })
  })

  describe('round trips', () => {
    const schema = schemaName('trips')
    const pool = new pg.Pool({ connectionString: svc.url, max: 4 })
    const sent: string[] = []
    // Counts what actually goes to the server, per connection, whoever sends it (pool or ledger).
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown
      ;(client as { query: unknown }).query = (...args: unknown[]) => {
        const first = args[0]
        sent.push(typeof first === 'string' ? first : JSON.stringify(first))
        return query(...args)
      }
    })
    const ledger = new PostgresLedger(pool, { schema })
    beforeAll(() => ledger.migrate())
    afterAll(async () => {
      await dropSchema(pool, schema)
      await pool.end()
    })

    it('spends in exactly one statement sent to PostgreSQL', async () => {
      await ledger.credit({
        accountId: 'acct',
        currency: 'usd',
        units: 1_000,
        kind: 'top_up',
        ref: 'pi_1',
      })
      await ledger.issueCredential('h'.repeat(64), 'acct')
      sent.length = 0
      const result = await ledger.spend({
        accountId: 'acct',
        credentialHash: 'h'.repeat(64),
        currency: 'usd',
        units: 100,
        ref: 'r',
      })
      expect(result).toMatchObject({ ok: true, balance: 900 })
      expect(sent).toHaveLength(1)
      expect(sent[0]).toMatch(/\.spend\(/)
    })

    it('sends the debits asked for in one turn as one statement, one transaction, each with its own answer', async () => {
      // Funded first, so that only the turn's own statement is counted.
      await spendInOneTurn(ledger, ['batch_b', 'batch_a'], { funds: 250, units: [], tag: 'p' })
      sent.length = 0
      const results = await spendInOneTurn(ledger, ['batch_b', 'batch_a'], {
        units: [100, 100, 100],
        tag: 'r',
      })
      expect(sent).toHaveLength(1)
      expect(sent[0]).toMatch(/\.spend_batch\(/)
      // Each answer is its own call's, in the order asked (the batch runs sorted by account).
      expect(results.map((r) => r.accountId)).toEqual([
        'batch_b',
        'batch_b',
        'batch_b',
        'batch_a',
        'batch_a',
        'batch_a',
      ])
      expect(outcomes(results)).toEqual([
        150,
        50,
        'insufficient_credits',
        150,
        50,
        'insufficient_credits',
      ])
    })

    it('fails every debit of a batch it cannot send as unavailable, and runs none of them again', async () => {
      const down = new pg.Pool({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 500 })
      const queries: unknown[] = []
      const query = down.query.bind(down) as (...args: unknown[]) => unknown
      ;(down as { query: unknown }).query = (...args: unknown[]) => {
        queries.push(args[0])
        return query(...args)
      }
      try {
        const unreachable = new PostgresLedger(down, { schema })
        const holdUntil = Date.now() + 60_000
        const results = await Promise.allSettled(
          ['d1', 'd2', 'd3'].map((ref) =>
            unreachable.spend({ accountId: 'acct', currency: 'usd', units: 1, ref, holdUntil }),
          ),
        )
        for (const result of results) {
          expect(result.status).toBe('rejected')
          expect((result as PromiseRejectedResult).reason).toBeInstanceOf(LedgerUnavailableError)
        }
        // One batch sent, and no debit of it run alone afterwards: its fate was unknown.
        expect(queries).toHaveLength(1)
      } finally {
        await down.end()
      }
    })

    it('never runs a batch again when its error leaves open whether it committed', async () => {
      await ledger.credit({
        accountId: 'unsure',
        currency: 'usd',
        units: 500,
        kind: 'top_up',
        ref: 'pi_1',
      })
      // PostgreSQL's answers that say nothing of the commit: a statement timeout (an outage-like
      // cancel), and a FATAL, which can come after the commit.
      for (const failure of [
        {
          code: '57014',
          severity: 'ERROR',
          message: 'canceling statement due to statement timeout',
        },
        { code: 'XX000', severity: 'FATAL', message: 'terminating connection' },
      ]) {
        const queries: string[] = []
        const flaky = {
          query: async (text: string, values?: unknown[]) => {
            queries.push(text)
            if (text.includes('spend_batch'))
              throw Object.assign(new Error(failure.message), failure)
            return pool.query(text, values)
          },
        }
        const unsure = new PostgresLedger(flaky, { schema })
        const holdUntil = Date.now() + 60_000
        const results = await Promise.allSettled(
          ['u1', 'u2'].map((ref) =>
            unsure.spend({ accountId: 'unsure', currency: 'usd', units: 100, ref, holdUntil }),
          ),
        )
        expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
        expect(queries).toHaveLength(1)
      }
      expect(await ledger.balance('unsure', 'usd')).toBe(500)
    })

    it("fails only the debit PostgreSQL refuses, not the rest of its turn's batch", async () => {
      await ledger.credit({
        accountId: 'fine',
        currency: 'usd',
        units: 500,
        kind: 'top_up',
        ref: 'pi_1',
      })
      await ledger.credit({
        accountId: 'bad',
        currency: 'usd',
        units: 500,
        kind: 'top_up',
        ref: 'pi_1',
      })
      const holdUntil = Date.now() + 60_000
      sent.length = 0
      // A ref with a NUL byte: PostgreSQL refuses it in text (22021), which fails the batch's statement.
      const [first, broken, last] = await Promise.allSettled([
        ledger.spend({ accountId: 'fine', currency: 'usd', units: 100, ref: 'f1', holdUntil }),
        ledger.spend({ accountId: 'bad', currency: 'usd', units: 100, ref: 'b\u00001', holdUntil }),
        ledger.spend({ accountId: 'fine', currency: 'usd', units: 100, ref: 'f2', holdUntil }),
      ])
      expect(sent[0]).toMatch(/\.spend_batch\(/)
      expect(first).toMatchObject({ status: 'fulfilled', value: { ok: true, balance: 400 } })
      expect(last).toMatchObject({ status: 'fulfilled', value: { ok: true, balance: 300 } })
      expect(broken.status).toBe('rejected')
      expect(await ledger.balance('fine', 'usd')).toBe(300)
      expect(await ledger.balance('bad', 'usd')).toBe(500)
      expect((await ledger.journal('bad')).filter((e) => e.kind === 'debit')).toEqual([])
    })
  })
})
