/**
 * Ledger errors that are no outage: the debit reference carries no client bytes a store could
 * refuse, a debit the store refuses is a 500 never queued, and a repair pass gets past a debit it
 * cannot settle instead of stopping there for good.
 */
import { describe, expect, it } from 'vitest'
import type { PaywallEvent } from '../events'
import { MemoryLedger } from '../ledger/memory'
import { PostgresLedger } from '../ledger/postgres'
import type { Ledger } from '../ledger/types'
import {
  expectDeny,
  expectPaid,
  pay,
  payWithNewCard,
  req,
  useEmulator,
} from '../../test/support/harness'
import { MAX_LOOKUP_FAILURES } from './doubt'

const h = useEmulator()

/** A debit ref's suffix: this process's random id and its counter. */
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\\.[0-9]+'
const ROUTES = { 'GET /users/:id': { amount: 500 }, '/api/report': { amount: 500 } }

/** What PostgreSQL answers to NUL in a text value (as PGlite and node-postgres throw it). */
const nulRefused = () =>
  Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
    code: '22021',
    severity: 'ERROR',
  })
const connectionLost = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })

/** A MemoryLedger whose calls named in `fail` throw what that function returns for them (it may also apply the call first). */
function failingLedger() {
  const memory = new MemoryLedger()
  const fail: Partial<Record<keyof Ledger, (args: unknown[]) => Promise<unknown> | unknown>> = {}
  const ledger = new Proxy(memory, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown
      if (typeof value !== 'function') return value
      return async (...args: unknown[]) => {
        const failure = fail[prop as keyof Ledger]
        if (failure) throw await failure(args)
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)
      }
    },
  }) as Ledger
  return { ledger, memory, fail }
}

describe('the debit reference on PGlite', () => {
  it('names the method and route, never the client path, so no byte of a request can make PostgreSQL refuse a debit', async () => {
    const ledger = await PostgresLedger.embedded()
    try {
      const { paywall } = h.paywall({ ledger, routes: ROUTES })
      const { clientId, outcome: first } = await payWithNewCard(h, paywall, '/users/7')
      const { accountId } = first.payment
      // A method-less route takes any method the adapter passes on, bytes PostgreSQL refuses included.
      const odd = expectPaid(
        await paywall.begin(
          req('/api/report', { method: 'GET\u0000', payment: pay({ clientId }) }),
        ),
      )
      await odd.settle(200)
      const emoji = expectPaid(
        await paywall.begin(req('/users/%F0%9F%92%A9%C3%A9', { payment: pay({ clientId }) })),
      )
      await emoji.settle(200)
      const refs = (await ledger.journal(accountId, 'usd'))
        .filter((e) => e.kind === 'debit')
        .map((e) => e.ref)
      expect(refs).toHaveLength(3)
      expect(refs[0]).toMatch(new RegExp(`^GET /users/:id#${UUID}$`))
      expect(refs[1]).toMatch(new RegExp(`^GET\\? /api/report#${UUID}$`))
      expect(refs[2]).toMatch(new RegExp(`^GET /users/:id#${UUID}$`))
      expect(new Set(refs).size).toBe(refs.length)
      expect(await ledger.balance(accountId, 'usd')).toBe(first.payment.creditsRemaining - 1_000)
    } finally {
      await ledger.close()
    }
  })

  it('refuses a control character in a paid path with 400 invalid_path, before the ledger, and queues nothing', async () => {
    const ledger = await PostgresLedger.embedded()
    try {
      const { paywall, events } = h.paywall({ ledger, routes: ROUTES })
      const { clientId, outcome: first } = await payWithNewCard(h, paywall, '/users/7')
      for (const path of [
        '/users/%00',
        '/users/a%00b',
        '/users/%1F',
        '/users/%7f',
        '/users/%2500',
        '/users/a;%00',
        '/users/x\u0001',
      ]) {
        const denied = expectDeny(await paywall.begin(req(path, { payment: pay({ clientId }) })))
        expect(denied.status, path).toBe(400)
        expect(JSON.parse(denied.body), path).toMatchObject({ error: 'invalid_path' })
      }
      // Event paths carry no control character either (they reach logs).
      expect(
        events
          .filter((e) => e.type === 'deny')
          // biome-ignore lint/suspicious/noControlCharactersInRegex: no control character may reach an event.
          .every((e) => !/[\u0000-\u001f\u007f]/.test((e as { path: string }).path)),
      ).toBe(true)
      expect(await paywall.repair()).toMatchObject({ checked: 0, pending: 0 })
      expect(await ledger.balance(first.payment.accountId, 'usd')).toBe(
        first.payment.creditsRemaining,
      )
      // A free path with one stays the application's business.
      expect((await paywall.begin(req('/static/%00'))).type).toBe('free')
      expectPaid(await paywall.begin(req('/users/8', { payment: pay({ clientId }) })))
    } finally {
      await ledger.close()
    }
  })
})

describe('a debit the store refuses with an error', () => {
  it('is a 500 internal_error, logged, never queued for repair (only a lost answer is in doubt)', async () => {
    const { ledger, fail } = failingLedger()
    const { paywall, logs, events } = h.paywall({ ledger, routes: ROUTES })
    const { clientId, outcome: first } = await payWithNewCard(h, paywall, '/users/7')
    fail.spend = nulRefused
    const denied = expectDeny(await paywall.begin(req('/users/7', { payment: pay({ clientId }) })))
    expect(denied.status).toBe(500)
    expect(denied.headers['retry-after']).toBeUndefined()
    expect(JSON.parse(denied.body)).toEqual({
      error: 'internal_error',
      message:
        'The credit ledger refused this request (a fault of this server); no credits were spent.',
    })
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        meta: expect.objectContaining({ error: expect.stringContaining('0x00') }),
      }),
    )
    expect(events).toContainEqual({
      type: 'error',
      stage: 'ledger',
      code: 'internal_error',
      message: expect.stringContaining('0x00'),
    })
    delete fail.spend
    expect(await paywall.repair()).toEqual({
      checked: 0,
      reversed: 0,
      notDebited: 0,
      pending: 0,
      dropped: 0,
      expired: 0,
    })
    expect(await ledger.balance(first.payment.accountId, 'usd')).toBe(
      first.payment.creditsRemaining,
    )
  })

  it('but a FATAL, which can come after the commit, is a debit in doubt: a 503, and given back once it is found applied', async () => {
    const { ledger, memory, fail } = failingLedger()
    const { paywall } = h.paywall({ ledger, routes: ROUTES })
    const { clientId, outcome: first } = await payWithNewCard(h, paywall, '/users/7')
    // The debit commits, then the session ends with a FATAL before its answer is read.
    fail.spend = async (args) => {
      await memory.spend((args as Parameters<Ledger['spend']>)[0])
      return Object.assign(new Error('terminating connection due to administrator command'), {
        code: 'XX000',
        severity: 'FATAL',
      })
    }
    expect(
      expectDeny(await paywall.begin(req('/users/7', { payment: pay({ clientId }) }))).status,
    ).toBe(503)
    delete fail.spend
    expect(await paywall.repair()).toMatchObject({ checked: 1, reversed: 1 })
    expect(await ledger.balance(first.payment.accountId, 'usd')).toBe(
      first.payment.creditsRemaining,
    )
  })

  it('while a lost answer (connection reset) still is a 503 whose debit is queued', async () => {
    const { ledger, fail } = failingLedger()
    const { paywall } = h.paywall({ ledger, routes: ROUTES })
    const { clientId } = await payWithNewCard(h, paywall, '/users/7')
    fail.spend = connectionLost
    expect(
      expectDeny(await paywall.begin(req('/users/7', { payment: pay({ clientId }) }))).status,
    ).toBe(503)
    delete fail.spend
    expect(await paywall.repair()).toMatchObject({ checked: 1, pending: 1 })
  })
})

describe('a repair pass', () => {
  /** Two debits in doubt, the first of which the ledger cannot look up (`lookup`), the second applied. */
  async function twoDoubts(lookup: () => Error) {
    const { ledger, memory, fail } = failingLedger()
    const events: PaywallEvent[] = []
    const { paywall, logs } = h.paywall({ ledger, routes: ROUTES, onEvent: (e) => events.push(e) })
    const { clientId, outcome: first } = await payWithNewCard(h, paywall, '/users/7')
    const { accountId } = first.payment
    const refs: string[] = []
    // Each debit is applied, then its answer is lost.
    fail.spend = async (args) => {
      const [input] = args as [Parameters<Ledger['spend']>[0]]
      refs.push(input.ref)
      await memory.spend(input)
      return connectionLost()
    }
    for (const path of ['/users/7', '/users/8'])
      expect(
        expectDeny(await paywall.begin(req(path, { payment: pay({ clientId }) }))).status,
      ).toBe(503)
    delete fail.spend
    // The first debit's lookup fails; the second's works.
    const hasEntry = memory.hasEntry.bind(memory)
    memory.hasEntry = async (...args) => {
      if (args[2] === refs[0]) throw lookup()
      return hasEntry(...args)
    }
    return {
      paywall,
      ledger,
      accountId,
      balance: first.payment.creditsRemaining,
      events,
      logs,
      refs,
    }
  }

  it('goes on past a debit the ledger cannot look up, settles the others, and drops that one after a few passes with a log', async () => {
    const { paywall, ledger, accountId, balance, events, logs, refs } = await twoDoubts(nulRefused)
    expect(await ledger.balance(accountId, 'usd')).toBe(balance - 1_000)
    expect(await paywall.repair()).toEqual({
      checked: 2,
      reversed: 1,
      notDebited: 0,
      pending: 1,
      dropped: 0,
      expired: 0,
    })
    expect(await ledger.balance(accountId, 'usd')).toBe(balance - 500)
    for (let pass = 2; pass < MAX_LOOKUP_FAILURES; pass++)
      expect(await paywall.repair()).toMatchObject({ checked: 1, pending: 1, dropped: 0 })
    expect(await paywall.repair()).toEqual({
      checked: 1,
      reversed: 0,
      notDebited: 0,
      pending: 0,
      dropped: 1,
      expired: 0,
    })
    expect(events.filter((e) => e.type === 'debit_repair').map((e) => [e.ref, e.outcome])).toEqual([
      [refs[1], 'reversed'],
      [refs[0], 'dropped'],
    ])
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: expect.stringContaining('dropped'),
        meta: expect.objectContaining({ ref: refs[0], units: 500 }),
      }),
    )
  })

  it('drops nothing while every lookup fails with errors nobody can classify: the store may just be down', async () => {
    const { paywall } = await twoDoubts(() => new Error('boom'))
    expect(await paywall.repair()).toMatchObject({ reversed: 1, pending: 1 })
    // The only debit left fails alone now: no other answer shows the store is up, so it is not counted.
    for (let pass = 0; pass < MAX_LOOKUP_FAILURES + 2; pass++)
      expect(await paywall.repair()).toMatchObject({ pending: 1, dropped: 0 })
  })
})
