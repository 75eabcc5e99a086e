/** The same engine flow on PGlite, PostgreSQL and Redis ledgers. */
import { Redis } from 'ioredis'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { requireService } from '../../../../test/services'
import { PostgresLedger } from '../ledger/postgres'
import { RedisLedger } from '../ledger/redis'
import type { Ledger } from '../ledger/types'
import { accountIdFor } from '../identity'
import {
  expectDeny,
  expectPaid,
  pay,
  payWithNewCard,
  paymentResponse,
  req,
  required,
  SECRET,
  useEmulator,
} from '../../test/support/harness'
import { deleteKeys } from '../../test/support/redis'
import { slowTopUpRace } from '../../test/support/slow-top-up'

const h = useEmulator()
const redis = await requireService('redis')
const postgres = await requireService('postgres')
const suffix = () => `${process.pid}_${Math.random().toString(36).slice(2, 8)}`

/** A ledger on a real store, a counter of round trips to it, and its cleanup. */
interface Store {
  ledger: Ledger
  /** The same store through a connection of its own, as another server instance holds it (closed by `teardown`). */
  another: () => Promise<Ledger>
  roundTrips: () => number
  teardown: () => Promise<void>
}

const stores: Array<[string, boolean, () => Promise<Store>]> = [
  [
    'PGlite',
    true,
    async () => {
      const ledger = await PostgresLedger.embedded()
      // An embedded database lives in one process: instances there can only share the one handle.
      return {
        ledger,
        another: async () => ledger,
        roundTrips: () => Number.NaN,
        teardown: () => ledger.close(),
      }
    },
  ],
  [
    'PostgreSQL',
    postgres.available,
    async () => {
      const pool = new pg.Pool({ connectionString: postgres.url, max: 10 })
      const others: pg.Pool[] = []
      const schema = `s402_engine_${suffix()}`
      let queries = 0
      const ledger = new PostgresLedger(
        {
          query: (text, values) => {
            queries++
            return pool.query(text, values)
          },
        },
        { schema },
      )
      await ledger.migrate()
      return {
        ledger,
        another: async () => {
          const other = new pg.Pool({ connectionString: postgres.url, max: 10 })
          others.push(other)
          return new PostgresLedger(other, { schema })
        },
        roundTrips: () => queries,
        teardown: async () => {
          await Promise.all(others.map((other) => other.end()))
          await pool.query(`drop schema if exists "${schema}" cascade`)
          await pool.end()
        },
      }
    },
  ],
  [
    'Redis',
    redis.available,
    async () => {
      const client = new Redis(redis.url, { ...RedisLedger.clientOptions, lazyConnect: true })
      await client.connect()
      const prefix = `s402engine:${suffix()}`
      let commands = 0
      const sendCommand = client.sendCommand.bind(client)
      client.sendCommand = (command, stream) => {
        commands++
        return sendCommand(command, stream)
      }
      const others: Redis[] = []
      return {
        ledger: new RedisLedger(client, { prefix }),
        another: async () => {
          const other = new Redis(redis.url, { ...RedisLedger.clientOptions, lazyConnect: true })
          await other.connect()
          others.push(other)
          return new RedisLedger(other, { prefix })
        },
        roundTrips: () => commands,
        teardown: async () => {
          for (const other of others) other.disconnect()
          await deleteKeys(client, prefix)
          client.disconnect()
        },
      }
    },
  ],
]

describe.each(stores)('the engine on %s', (_name, available, open) => {
  const withStore = async (test: (store: Store) => Promise<void>) => {
    const store = await open()
    try {
      await test(store)
    } finally {
      await store.teardown()
    }
  }

  it.skipIf(!available)('pays, spends in one round trip, and refuses once credits run out', () =>
    withStore(async (store) => {
      const { paywall } = h.paywall({ ledger: store.ledger })
      const { clientId } = await payWithNewCard(h, paywall)
      const before = store.roundTrips()
      const outcome = expectPaid(
        await paywall.begin(req('/api/joke', { payment: pay({ clientId }) })),
      )
      await outcome.settle(200)
      if (!Number.isNaN(before)) expect(store.roundTrips() - before).toBe(1)
      expect(paymentResponse(outcome).creditsRemaining).toBe(4_000)
      for (let i = 0; i < 8; i++)
        expectPaid(await paywall.begin(req('/api/joke', { payment: pay({ clientId }) })))
      expect(
        required(await paywall.begin(req('/api/joke', { payment: pay({ clientId }) }))).error,
      ).toBe('insufficient_credits')
    }),
  )

  it.skipIf(!available)(
    'serves exactly K of 100 concurrent calls with credits for K, and the journal sums to the balance',
    () =>
      withStore(async (store) => {
        const { paywall } = h.paywall({ ledger: store.ledger })
        const { clientId, outcome } = await payWithNewCard(h, paywall)
        const outcomes = await Promise.all(
          Array.from({ length: 100 }, () =>
            paywall.begin(req('/api/joke', { payment: pay({ clientId }) })),
          ),
        )
        expect(outcomes.filter((o) => o.type === 'paid')).toHaveLength(9)
        const accountId = outcome.payment.accountId
        expect(await store.ledger.balance(accountId, 'usd')).toBe(0)
        expect((await store.ledger.journal(accountId)).reduce((sum, e) => sum + e.units, 0)).toBe(0)
      }),
  )

  it.skipIf(!available)('charges once for 10 concurrent first payments with one card', () =>
    withStore(async (store) => {
      const { paywall } = h.paywall({ ledger: store.ledger })
      const pms = await Promise.all(Array.from({ length: 10 }, () => h.card()))
      const outcomes = await Promise.all(
        pms.map((paymentMethodId) =>
          paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })),
        ),
      )
      expect(outcomes.filter((o) => o.type === 'paid')).toHaveLength(10)
      expect(h.emu.charges()).toHaveLength(1)
      expect(
        await store.ledger.balance(accountIdFor(SECRET, h.emu.charges()[0]!.fingerprint), 'usd'),
      ).toBe(0)
    }),
  )

  it.skipIf(!available)('charges once when the first top-up outlasts the lock lifetime', () =>
    withStore(async (store) => {
      const { first, second } = await slowTopUpRace(h, store.ledger)
      expect(h.emu.charges()).toHaveLength(1)
      expectPaid(first)
      const accountId = expectPaid(second).payment.accountId
      expect(await store.ledger.balance(accountId, 'usd')).toBe(4_000)
      const journal = await store.ledger.journal(accountId)
      expect(journal.filter((e) => e.kind === 'top_up')).toHaveLength(1)
    }),
  )

  it.skipIf(!available)(
    'reverses on 5xx, revokes at once, and repairs a lost credit with reconcile',
    () =>
      withStore(async (store) => {
        const { paywall } = h.paywall({ ledger: store.ledger })
        const { clientId } = await payWithNewCard(h, paywall)
        const failed = expectPaid(
          await paywall.begin(req('/api/joke', { payment: pay({ clientId }) })),
        )
        await failed.settle(500)
        expect(await paywall.balance(clientId)).toBe(4_500)
        expect(await paywall.revoke(clientId)).toBe(true)
        expect(
          required(await paywall.begin(req('/api/joke', { payment: pay({ clientId }) }))).error,
        ).toBe('credential_revoked')

        h.emu.inject({ path: '/v1/payment_intents', afterResponse: true, status: 500 })
        expect(
          expectDeny(
            await paywall.begin(
              req('/api/joke', {
                payment: pay({ paymentMethodId: await h.card('5555555555554444') }),
              }),
            ),
          ).status,
        ).toBe(503)
        expect(await paywall.reconcile()).toEqual({ checked: 2, credited: 1, alreadyCredited: 1 })
        expect(
          await store.ledger.balance(accountIdFor(SECRET, h.emu.charges()[1]!.fingerprint), 'usd'),
        ).toBe(5_000)
      }),
  )

  it.skipIf(!available)(
    'revokes on one instance, and another instance on the same store refuses the credential at once',
    () =>
      withStore(async (store) => {
        const a = h.paywall({ ledger: store.ledger }).paywall
        const b = h.paywall({ ledger: await store.another() }).paywall
        const { clientId, outcome } = await payWithNewCard(h, a)
        const accountId = outcome.payment.accountId
        const spent = expectPaid(await b.begin(req('/api/joke', { payment: pay({ clientId }) })))
        await spent.settle(200)
        expect(paymentResponse(spent).creditsRemaining).toBe(4_000)

        expect(await a.revoke(clientId)).toBe(true)
        expect(
          required(await b.begin(req('/api/joke', { payment: pay({ clientId }) }))).error,
        ).toBe('credential_revoked')
        expect(await b.balance(clientId)).toBe(4_000)
        expect(await store.ledger.balance(accountId, 'usd')).toBe(4_000)
        expect((await store.ledger.journal(accountId)).reduce((sum, e) => sum + e.units, 0)).toBe(
          4_000,
        )
        expect(h.emu.charges()).toHaveLength(1)
      }),
  )
})
