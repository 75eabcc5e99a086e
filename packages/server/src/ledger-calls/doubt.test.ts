/** Debits in doubt: a ledger that applies a debit and loses the answer gets it back once it answers again, exactly once. */
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { PaywallEvent } from '../events'
import { MemoryLedger } from '../ledger/memory'
import type { Ledger } from '../ledger/types'
import {
  expectDeny,
  expectPaid,
  pay,
  payWithNewCard,
  paymentResponse,
  req,
  useEmulator,
} from '../../test/support/harness'
import { SETTLE_MS } from './doubt'

const h = useEmulator()

/**
 * A MemoryLedger whose debit calls (`spend`, `creditAndSpend`, or those in `only`) misbehave as a
 * store does when the connection dies: `lose_answer` commits and then throws (the reply was
 * lost), `refuse` throws without committing, `hold` throws and keeps the call for the test to
 * run later (a store running a command its client already gave up on). `down` fails every call,
 * `fail` the one it names.
 */
function flakyLedger() {
  const memory = new MemoryLedger()
  const state: {
    debits: 'ok' | 'lose_answer' | 'refuse' | 'hold'
    only?: string
    down: boolean
    fail?: string
    held: unknown[][]
  } = {
    debits: 'ok',
    down: false,
    held: [],
  }
  const lost = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })
  const ledger = new Proxy(memory, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown
      if (typeof value !== 'function') return value
      const method = value as (...args: unknown[]) => Promise<unknown>
      return async (...args: unknown[]) => {
        if (state.down || prop === state.fail) throw lost()
        const debit = prop === 'spend' || prop === 'creditAndSpend'
        if (!debit || state.debits === 'ok' || (state.only !== undefined && prop !== state.only))
          return method.apply(target, args)
        if (state.debits === 'refuse') throw lost()
        if (state.debits === 'hold') {
          state.held.push(args)
          throw new Error('Command timed out')
        }
        await method.apply(target, args)
        throw lost()
      }
    },
  }) as Ledger
  return { ledger, memory, state }
}

function body(outcome: { body: string }): { error: string; message: string } {
  return JSON.parse(outcome.body) as { error: string; message: string }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('a debit whose answer was lost', () => {
  it('answers 503 saying the credits come back, and repair() gives the debit back once: debit + reversal in the journal', async () => {
    const { ledger, state } = flakyLedger()
    const { paywall, events } = h.paywall({ ledger })
    const { clientId, outcome: first } = await payWithNewCard(h, paywall)
    const { accountId } = first.payment
    expect(await ledger.balance(accountId, 'usd')).toBe(4_500)

    state.debits = 'lose_answer'
    const denied = expectDeny(await paywall.begin(req('/api/joke', { payment: pay({ clientId }) })))
    expect(denied.status).toBe(503)
    expect(denied.headers['retry-after']).toBe('2')
    expect(body(denied)).toEqual({
      error: 'ledger_unavailable',
      message:
        'The credit ledger is unavailable; if credits were taken for this request they are returned automatically once it is back. Retry after 2 seconds.',
    })
    // The ledger did apply it: without repair the payer would have paid for a call never served.
    expect(await ledger.balance(accountId, 'usd')).toBe(4_000)

    state.debits = 'ok'
    expect(await paywall.repair()).toEqual({
      checked: 1,
      reversed: 1,
      notDebited: 0,
      pending: 0,
      dropped: 0,
      expired: 0,
    })
    expect(await ledger.balance(accountId, 'usd')).toBe(4_500)
    const journal = await ledger.journal(accountId, 'usd')
    const [top, served, lostDebit, reversal] = journal
    expect(journal.map((e) => [e.kind, e.units])).toEqual([
      ['top_up', 5_000],
      ['debit', -500],
      ['debit', -500],
      ['reversal', 500],
    ])
    expect(lostDebit!.ref).toMatch(
      /^GET \/api\/joke#[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.[0-9]+$/,
    )
    expect(served!.ref).not.toBe(lostDebit!.ref)
    // Keyed by the debit's own ref, as every reversal of it is: given back once, whoever gives it back.
    expect(reversal!.ref).toBe(lostDebit!.ref)
    expect(top!.kind).toBe('top_up')
    expect(events.filter((e) => e.type === 'debit_repair')).toEqual([
      {
        type: 'debit_repair',
        accountId,
        currency: 'usd',
        units: 500,
        ref: lostDebit!.ref,
        outcome: 'reversed',
      },
    ])

    // Settled: later passes and reconcile() change nothing.
    expect(await paywall.repair()).toEqual({
      checked: 0,
      reversed: 0,
      notDebited: 0,
      pending: 0,
      dropped: 0,
      expired: 0,
    })
    await paywall.reconcile()
    expect(await ledger.balance(accountId, 'usd')).toBe(4_500)
    expect(await ledger.journal(accountId, 'usd')).toHaveLength(4)
  })

  it('a debit that never landed changes nothing, and is dropped once it can no longer land', async () => {
    const { ledger, state } = flakyLedger()
    const { paywall, events } = h.paywall({ ledger })
    const { clientId, outcome: first } = await payWithNewCard(h, paywall)
    const { accountId } = first.payment

    state.debits = 'refuse'
    expect(
      expectDeny(await paywall.begin(req('/api/joke', { payment: pay({ clientId }) }))).status,
    ).toBe(503)
    state.debits = 'ok'
    // Not there yet is not never there (a store may still run a command its client gave up on): watched, not dropped.
    expect(await paywall.repair()).toEqual({
      checked: 1,
      reversed: 0,
      notDebited: 0,
      pending: 1,
      dropped: 0,
      expired: 0,
    })
    expect(await ledger.balance(accountId, 'usd')).toBe(4_500)

    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + SETTLE_MS)
    expect(await paywall.repair()).toEqual({
      checked: 1,
      reversed: 0,
      notDebited: 1,
      pending: 0,
      dropped: 0,
      expired: 0,
    })
    expect(await ledger.balance(accountId, 'usd')).toBe(4_500)
    expect((await ledger.journal(accountId, 'usd')).map((e) => e.kind)).toEqual(['top_up', 'debit'])
    expect(events.filter((e) => e.type === 'debit_repair')).toMatchObject([
      { accountId, units: 500, outcome: 'not_debited' },
    ])
  })

  it('a debit that lands late, after the first look, is still given back', async () => {
    const { ledger, memory, state } = flakyLedger()
    const { paywall } = h.paywall({ ledger })
    const { clientId, outcome: first } = await payWithNewCard(h, paywall)
    const { accountId } = first.payment
    state.debits = 'hold'
    expect(
      expectDeny(await paywall.begin(req('/api/joke', { payment: pay({ clientId }) }))).status,
    ).toBe(503)
    state.debits = 'ok'
    expect(await paywall.repair()).toMatchObject({ reversed: 0, pending: 1 })
    await memory.spend(state.held[0]![0] as Parameters<Ledger['spend']>[0])
    expect(await ledger.balance(accountId, 'usd')).toBe(4_000)

    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + SETTLE_MS)
    expect(await paywall.repair()).toEqual({
      checked: 1,
      reversed: 1,
      notDebited: 0,
      pending: 0,
      dropped: 0,
      expired: 0,
    })
    expect(await ledger.balance(accountId, 'usd')).toBe(4_500)
  })

  it('keeps the debit while the ledger is still down, and gives it back once it answers', async () => {
    const { ledger, state } = flakyLedger()
    const { paywall } = h.paywall({ ledger })
    const { clientId, outcome: first } = await payWithNewCard(h, paywall)
    const { accountId } = first.payment

    state.debits = 'lose_answer'
    expect(
      expectDeny(await paywall.begin(req('/api/joke', { payment: pay({ clientId }) }))).status,
    ).toBe(503)
    state.down = true
    expect(await paywall.repair()).toEqual({
      checked: 1,
      reversed: 0,
      notDebited: 0,
      pending: 1,
      dropped: 0,
      expired: 0,
    })
    state.down = false
    state.debits = 'ok'
    expect(await paywall.repair()).toEqual({
      checked: 1,
      reversed: 1,
      notDebited: 0,
      pending: 0,
      dropped: 0,
      expired: 0,
    })
    expect(await ledger.balance(accountId, 'usd')).toBe(4_500)
  })

  it('repairs by itself on a timer, and close() stops the timer', async () => {
    const { ledger, state } = flakyLedger()
    const { paywall } = h.paywall({ ledger })
    const { clientId, outcome: first } = await payWithNewCard(h, paywall)
    const { accountId } = first.payment

    state.debits = 'lose_answer'
    expectDeny(await paywall.begin(req('/api/joke', { payment: pay({ clientId }) })))
    state.debits = 'ok'
    expect(await ledger.balance(accountId, 'usd')).toBe(4_000)
    await vi.waitFor(async () => expect(await ledger.balance(accountId, 'usd')).toBe(4_500), {
      timeout: 5_000,
      interval: 50,
    })

    await paywall.close()
    state.debits = 'lose_answer'
    expectDeny(await paywall.begin(req('/api/joke', { payment: pay({ clientId }) })))
    state.debits = 'ok'
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(await ledger.balance(accountId, 'usd')).toBe(4_000)
    expect(await paywall.repair()).toMatchObject({ reversed: 1, pending: 0 })
    expect(await ledger.balance(accountId, 'usd')).toBe(4_500)
  })

  it('on the card path, a top-up credited and debited with its answer lost: the charge stays credited, the debit comes back', async () => {
    const { ledger, state } = flakyLedger()
    const { paywall } = h.paywall({ ledger })
    const paymentMethodId = await h.card()
    state.debits = 'lose_answer'
    state.only = 'creditAndSpend'
    const denied = expectDeny(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })),
    )
    expect(body(denied)).toMatchObject({
      error: 'ledger_unavailable',
      message: expect.stringContaining('returned automatically'),
    })
    const [charge] = h.emu.charges()
    const accountId = h.emu.paymentIntents()[0]!.metadata.stripe402_account!
    expect(charge).toMatchObject({ amount: 50, status: 'succeeded' })
    expect(await ledger.balance(accountId, 'usd')).toBe(4_500)

    state.debits = 'ok'
    expect(await paywall.repair()).toMatchObject({ reversed: 1, pending: 0 })
    expect(await ledger.balance(accountId, 'usd')).toBe(5_000)
    // The payer's retry is served from that top-up, without a second charge.
    const retry = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })),
    )
    expect(paymentResponse(retry).creditsRemaining).toBe(4_500)
    expect(h.emu.charges()).toHaveLength(1)
    expect((await ledger.journal(accountId, 'usd')).map((e) => [e.kind, e.units])).toEqual([
      ['top_up', 5_000],
      ['debit', -500],
      ['reversal', 500],
      ['debit', -500],
    ])
  })

  it('a failure before any debit still says nothing was spent, and queues nothing', async () => {
    const { ledger, state } = flakyLedger()
    const seen: PaywallEvent[] = []
    const { paywall } = h.paywall({ ledger, onEvent: (event) => seen.push(event) })
    // The card path finds no credits (a debit refused, nothing taken), then fails taking the top-up lock.
    state.fail = 'acquireLock'
    const denied = expectDeny(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    expect(body(denied)).toEqual({
      error: 'ledger_unavailable',
      message: 'The credit ledger is unavailable; no credits were spent. Retry after 2 seconds.',
    })
    expect(h.emu.charges()).toHaveLength(0)
    delete state.fail
    expect(await paywall.repair()).toEqual({
      checked: 0,
      reversed: 0,
      notDebited: 0,
      pending: 0,
      dropped: 0,
      expired: 0,
    })
    expect(seen.some((e) => e.type === 'debit_repair')).toBe(false)
  })
})
