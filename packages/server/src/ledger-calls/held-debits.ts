/**
 * Settling paid requests' debits through the ledger's held debits: a debit is held from the moment
 * it is taken until its answer's fate is written, so that no process can die knowing, alone, that a
 * debit should be given back.
 */
import { type Emit, errorMessage, type PaywallLogger } from '../events'
import type { HeldDebit, HeldSettlement, Ledger } from '../ledger/types'

export interface HoldTiming {
  /** How long a debit is held for its answer before any instance gives it back. */
  holdMs: number
  /** How often confirmations are written, in one batch, off the request path. */
  flushMs: number
}

/** What one sweep did. */
export interface SweepResult {
  /** Held debits past their deadline given back (their process died, or lost the ledger for longer than the hold). */
  expired: number
}

/** Most settlements waiting for the ledger; beyond it the oldest confirmations are let go (their debits come back by sweep). */
const MAX_QUEUED = 100_000
/** A batch this large is written at once rather than at the next tick. */
const FLUSH_AT = 1_000
/** Most held debits one sweep call takes. */
const SWEEP_BATCH = 500
const MAX_RETRY_MS = 30_000

/**
 * A settlement waiting for the ledger: the debit as the request path handed it (no copy on that
 * path), whether to give it back, and the status a reversal is reported with.
 */
interface Queued {
  debit: HeldDebit
  reverse: boolean
  status: number
}

/** The ledger's view of a queued settlement: its four fields, whatever else the debit object carries. */
const settlementOf = ({ debit, reverse }: Queued): HeldSettlement => ({
  accountId: debit.accountId,
  currency: debit.currency,
  units: debit.units,
  ref: debit.ref,
  reverse,
})

/**
 * One per paywall. `holdUntil()` gives a debit's deadline; `begin(debit)` marks it in flight (its
 * deadline is pushed back while the handler works); `settle(debit, reverse)` decides it. A
 * reversal is written at once, and retried until it lands; a confirmation waits for the next batch.
 * Every tick (`flushMs`) writes the batch and extends what is still in flight; every quarter of
 * `holdMs` a sweep gives back what any instance left held past its deadline.
 *
 * Without `ledger.holds` (a ledger of your own without them) it gives back in process only, as
 * before: a debit whose process dies before its reversal is kept.
 */
export class HeldDebitSettler {
  /** Debits whose handler runs, by identity (the object `begin` and `settle` are both given), with their deadline. */
  private readonly inFlight = new Map<HeldDebit, number>()
  private queued: Queued[] = []
  private tickTimer: ReturnType<typeof setTimeout> | undefined
  private sweepTimer: ReturnType<typeof setInterval> | undefined
  private retryMs: number
  private flushing: Promise<void> = Promise.resolve()
  private closed = false

  constructor(
    private readonly engine: { ledger: Ledger; emit: Emit; logger: PaywallLogger },
    private readonly timing: HoldTiming,
  ) {
    this.retryMs = timing.flushMs
    // From the start where the runtime allows it: a restarted instance gives back what its predecessor left held.
    this.startSweeps()
  }

  /** True when the ledger holds debits (every built-in ledger does): a reversal that fails is retried until it lands. */
  get durable(): boolean {
    return this.engine.ledger.holds !== undefined
  }

  /**
   * True when debits are taken held: the ledger holds debits and outlives this process. A
   * `volatile` ledger (`MemoryLedger`) dies with it, so a hold would guard nothing there.
   */
  get holding(): boolean {
    return this.durable && this.engine.ledger.volatile !== true
  }

  /** The deadline of a debit taken now, or undefined when debits are not held (see `holding`). */
  holdUntil(): number | undefined {
    if (!this.holding) return undefined
    this.startSweeps()
    return Date.now() + this.timing.holdMs
  }

  /** A debit was taken and its handler runs: its hold is extended until it is settled. */
  begin(debit: HeldDebit, until: number): void {
    if (!this.holding) return
    this.inFlight.set(debit, until)
    this.wake(this.timing.flushMs)
  }

  /**
   * Decides a debit. `reverse`: given back now if the ledger answers (true), else held for retries
   * and, failing those, for the sweep (false). Keep: queued for the next batch (resolves at once).
   * Never rejects.
   */
  async settle(debit: HeldDebit, reverse: boolean, status: number): Promise<boolean> {
    if (!reverse) {
      this.keep(debit, status)
      return false
    }
    this.inFlight.delete(debit)
    const { holds } = this.engine.ledger
    try {
      const reversed = holds
        ? (await holds.settle([settlementOf({ debit, reverse: true, status })])) > 0
        : (
            await this.engine.ledger.credit({
              accountId: debit.accountId,
              currency: debit.currency,
              units: debit.units,
              kind: 'reversal',
              ref: debit.ref,
            })
          ).applied
      if (reversed) this.emitReversal(debit, status)
      return true
    } catch (error) {
      const message = errorMessage(error)
      if (holds) {
        this.enqueue({ debit, reverse: true, status })
        // Held in the ledger: retried from here, and swept back by any instance if this one dies.
        this.log('warn', 'could not reverse a debit after a failed response', {
          accountId: debit.accountId,
          retried: true,
          error: message,
        })
      } else {
        this.log('error', 'could not reverse a debit after a failed response', {
          accountId: debit.accountId,
          ref: debit.ref,
          error: message,
        })
      }
      this.engine.emit({ type: 'error', stage: 'settle', code: 'reversal_failed', message })
      return false
    }
  }

  /** A debit that stands: its hold is released with the next batch (unheld, nothing is written). */
  keep(debit: HeldDebit, status: number): void {
    if (!this.holding) return
    this.inFlight.delete(debit)
    this.enqueue({ debit, reverse: false, status })
  }

  /** Writes what is queued now (after any write already running). Never rejects. */
  flush(): Promise<void> {
    const next = this.flushing.then(() => this.write())
    this.flushing = next.catch(() => {})
    return this.flushing
  }

  /** Gives back held debits past their deadline, on any instance's behalf. Never rejects. */
  async sweep(): Promise<SweepResult> {
    const { holds } = this.engine.ledger
    const result: SweepResult = { expired: 0 }
    if (!holds) return result
    try {
      for (;;) {
        const swept = await holds.sweep(Date.now(), SWEEP_BATCH)
        for (const debit of swept) {
          result.expired++
          const { accountId, currency, units, ref } = debit
          this.engine.emit({
            type: 'debit_repair',
            accountId,
            currency,
            units,
            ref,
            outcome: 'expired',
          })
        }
        if (swept.length < SWEEP_BATCH) break
      }
      if (result.expired > 0)
        this.log('warn', 'held debits past their deadline were given back', {
          count: result.expired,
        })
    } catch (error) {
      this.log('warn', 'could not sweep held debits; the next sweep tries again', {
        error: errorMessage(error),
      })
    }
    return result
  }

  /** Writes what is queued and stops the timers. Debits still in flight stay held: a later sweep settles them. */
  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.tickTimer)
    clearInterval(this.sweepTimer)
    this.tickTimer = undefined
    this.sweepTimer = undefined
    await this.flush()
    if (this.queued.length > 0)
      this.log(
        'error',
        'the paywall closed with debits it could not settle; a sweep gives them back',
        {
          pending: this.queued.length,
        },
      )
  }

  /** Settlements waiting for the ledger, and debits in flight (for tests and the repair report). */
  get pending(): { queued: number; inFlight: number } {
    return { queued: this.queued.length, inFlight: this.inFlight.size }
  }

  private enqueue(item: Queued): void {
    if (this.queued.length >= MAX_QUEUED) {
      // A confirmation let go costs the operator one call (its debit comes back); a reversal is never let go.
      const index = this.queued.findIndex((queued) => !queued.reverse)
      if (index >= 0) this.queued.splice(index, 1)
    }
    this.queued.push(item)
    // Under load a batch fills before the tick: written now, so the queue stays short.
    if (this.queued.length === FLUSH_AT && this.retryMs === this.timing.flushMs) void this.flush()
    else this.wake(this.timing.flushMs)
  }

  private async write(): Promise<void> {
    const { holds } = this.engine.ledger
    if (!holds) return
    const batch = this.queued
    this.queued = []
    const extend = this.due()
    try {
      if (batch.length > 0) {
        await holds.settle(batch.map(settlementOf))
        for (const item of batch) if (item.reverse) this.emitReversal(item.debit, item.status)
      }
      if (extend.length > 0) {
        const until = Date.now() + this.timing.holdMs
        await holds.extend(
          extend.map(({ accountId, currency, units, ref }) => ({
            accountId,
            currency,
            units,
            ref,
          })),
          until,
        )
        // Only those still in flight: one settled meanwhile is the batch's business now.
        for (const debit of extend) if (this.inFlight.has(debit)) this.inFlight.set(debit, until)
      }
      this.retryMs = this.timing.flushMs
    } catch (error) {
      this.queued = batch.concat(this.queued)
      this.log('warn', 'held debits wait for the ledger', {
        pending: this.queued.length,
        retryInMs: this.retryMs,
        error: errorMessage(error),
      })
      // Never backing off for long: a confirmation must land before its hold's deadline, or a sweep
      // gives the served call back (the operator's loss).
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS, this.timing.holdMs / 8)
    }
  }

  /** Debits in flight whose deadline is less than half a hold away. */
  private due(): HeldDebit[] {
    const soon = Date.now() + this.timing.holdMs / 2
    const due: HeldDebit[] = []
    for (const [debit, until] of this.inFlight) if (until <= soon) due.push(debit)
    return due
  }

  private emitReversal(debit: HeldDebit, status: number): void {
    const { accountId, currency, units } = debit
    this.engine.emit({ type: 'reversal', accountId, currency, units, status })
  }

  /**
   * At construction, or, where the runtime allows no timer there (workerd refuses one in global
   * scope, where a paywall is built), at the first priced request. On such runtimes, run
   * `paywall.repair()` on a schedule too: it sweeps.
   */
  private startSweeps(): void {
    if (this.closed || this.sweepTimer !== undefined || !this.holding) return
    try {
      this.sweepTimer = setInterval(
        () => void this.sweep(),
        Math.max(this.timing.holdMs / 4, 1_000),
      )
      unref(this.sweepTimer)
    } catch {
      // Not here: the next priced request tries again.
    }
  }

  /** Ticks while anything is queued or in flight. */
  private wake(ms: number): void {
    if (this.closed || this.tickTimer !== undefined) return
    this.tickTimer = setTimeout(() => {
      this.tickTimer = undefined
      this.flush().then(() => {
        if (this.queued.length > 0) this.wake(this.retryMs)
        else if (this.inFlight.size > 0) this.wake(this.timing.flushMs)
      })
    }, ms)
    unref(this.tickTimer)
  }

  /** A logger that throws must not break a timer's work. */
  private log(level: 'warn' | 'error', message: string, meta: Record<string, unknown>): void {
    try {
      this.engine.logger[level](message, meta)
    } catch {
      // Nothing better to do with it here.
    }
  }
}

/** Node: never keep the process alive for these timers. Other runtimes return a number. */
function unref(timer: unknown): void {
  ;(timer as { unref?: () => void }).unref?.()
}
