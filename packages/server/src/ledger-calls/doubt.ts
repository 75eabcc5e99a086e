/** Debits whose ledger call failed without an answer: held in process, and given back once the ledger shows they were applied. */
import { type Emit, errorMessage, type PaywallLogger } from '../events'
import { isLedgerUnavailable, isStoreAnswer } from '../ledger/failure-kinds'
import type { Ledger } from '../ledger/types'

/** A debit the engine asked the ledger for and got no answer to: it may or may not have been applied. */
export interface DebitInDoubt {
  accountId: string
  currency: string
  units: number
  /** The request's debit reference, unique per request: the `debit` entry, if it was written, carries it. */
  ref: string
}

/** What one repair pass did. */
export interface RepairResult {
  /** Debits looked up in the ledger. */
  checked: number
  /** Found applied, and credited back (a `reversal` keyed by the debit's ref: given back once, whoever gives it back). */
  reversed: number
  /** Found not applied, and no longer able to land: forgotten. */
  notDebited: number
  /** Still in doubt afterwards: the ledger did not answer, or a debit not found may still land. */
  pending: number
  /** Given up on after MAX_LOOKUP_FAILURES passes whose lookup or reversal of it failed while the ledger was up (logged with its ref). */
  dropped: number
  /** Held debits past their deadline given back by the sweep `paywall.repair()` runs (0 from the queue's own timer). */
  expired: number
}

/** Back-off of the repair loop while the ledger does not answer. */
const FIRST_RETRY_MS = 1_000
const MAX_RETRY_MS = 30_000

/**
 * How long a debit not found is watched before it is taken as never applied. A store can run a
 * command after its client gave up on it (a command or statement timeout, a client that resends
 * unanswered commands after reconnecting), so "not there yet" is not "never".
 */
export const SETTLE_MS = 30_000

/**
 * Most debits held in doubt. Beyond it a debit is refused before it reaches the ledger (503,
 * nothing spent): memory stays bounded, and no debit is taken that could not be given back.
 */
export const MAX_DOUBTS = 100_000

/** Passes in which the ledger, while answering others, fails to settle one debit before that debit is dropped. */
export const MAX_LOOKUP_FAILURES = 3

interface Doubt extends DebitInDoubt {
  /** When the ledger first answered that the debit is not there. */
  absentSince?: number
  /** Passes whose lookup or reversal of this debit failed while the ledger was up. */
  failures?: number
}

/**
 * The repair queue. A failed debit is added with `add`; a timer (unref'd: it never keeps the
 * process alive) runs a pass after a back-off while any is held, and `repair()` runs one now.
 * A pass asks the ledger for each debit's entry: applied → a reversal, once per ref; not applied
 * and watched for `SETTLE_MS` → dropped. The queue lives in memory: a process that dies with
 * debits in doubt leaves them debited (a crash-safe variant would need an outbox in the ledger).
 */
export class DoubtfulDebits {
  private readonly doubts = new Map<string, Doubt>()
  private timer: ReturnType<typeof setTimeout> | undefined
  private timerAt = Number.POSITIVE_INFINITY
  private retryMs = FIRST_RETRY_MS
  private queue: Promise<unknown> = Promise.resolve()
  private closed = false

  constructor(private readonly engine: { ledger: Ledger; emit: Emit; logger: PaywallLogger }) {}

  /** Debits held in doubt now. */
  get size(): number {
    return this.doubts.size
  }

  add(debit: DebitInDoubt): void {
    const { accountId, currency, units, ref } = debit
    this.doubts.set(`${accountId}\u0000${ref}`, { accountId, currency, units, ref })
    this.wake(this.retryMs)
  }

  /** One pass now (after any pass already running). Never rejects. */
  repair(): Promise<RepairResult> {
    const pass = this.queue.then(() => this.pass())
    this.queue = pass.catch(() => {})
    return pass
  }

  /** Stops the loop after a last pass; what is still in doubt then is logged, and lost with the process. */
  async close(): Promise<RepairResult> {
    this.closed = true
    clearTimeout(this.timer)
    this.timer = undefined
    const result = await this.repair()
    if (result.pending > 0) {
      this.log(
        'error',
        'the paywall closed with debits in doubt; those the ledger applied stay debited',
        { pending: result.pending },
      )
    }
    return result
  }

  private async pass(): Promise<RepairResult> {
    const result: RepairResult = {
      checked: 0,
      reversed: 0,
      notDebited: 0,
      pending: 0,
      dropped: 0,
      expired: 0,
    }
    const { ledger } = this.engine
    let failure: unknown
    const failed: Array<{ key: string; doubt: Doubt; error: unknown }> = []
    try {
      for (const [key, doubt] of [...this.doubts]) {
        const now = Date.now()
        if (doubt.absentSince !== undefined && now < doubt.absentSince + SETTLE_MS) continue
        try {
          result.checked++
          if (await ledger.hasEntry(doubt.accountId, 'debit', doubt.ref)) {
            // Keyed by the ref, like every reversal of it: a second pass, a lost answer to this credit or
            // a sweep of its hold never gives back twice. With held debits this also releases the hold.
            const { accountId, currency, units, ref } = doubt
            if (ledger.holds)
              await ledger.holds.settle([{ accountId, currency, units, ref, reverse: true }])
            else await ledger.credit({ accountId, currency, units, kind: 'reversal', ref })
            this.settle(key, doubt, 'reversed')
            result.reversed++
          } else if (doubt.absentSince === undefined) {
            doubt.absentSince = now
          } else {
            this.settle(key, doubt, 'not_debited')
            result.notDebited++
          }
        } catch (error) {
          if (!isLedgerUnavailable(error)) {
            // Not an outage: this debit must not hold up the others (see `giveUp`).
            failed.push({ key, doubt, error })
            continue
          }
          failure = error
          // To the back of the queue, so that one the ledger keeps refusing cannot hold up the others.
          this.doubts.delete(key)
          this.doubts.set(key, doubt)
          break
        }
      }
      failure ??= this.giveUp(failed, result)
    } finally {
      result.pending = this.doubts.size
      this.schedule(failure)
    }
    return result
  }

  /**
   * Counts the pass's failed debits against them, and drops those that failed MAX_LOOKUP_FAILURES
   * passes, so that one failing for good cannot sit in the queue (towards MAX_DOUBTS) forever. A
   * failure counts only when the store plainly answered it (`isStoreAnswer`) or answered other
   * debits in this pass: a store down behind errors nobody can classify fails every call, and
   * then none is given up on. Returns the error to back off on when nothing counted.
   */
  private giveUp(
    failed: ReadonlyArray<{ key: string; doubt: Doubt; error: unknown }>,
    result: RepairResult,
  ): unknown {
    const othersAnswered = result.checked > failed.length
    let uncounted: unknown
    for (const { key, doubt, error } of failed) {
      if (!othersAnswered && !isStoreAnswer(error)) {
        uncounted ??= error
        continue
      }
      doubt.failures = (doubt.failures ?? 0) + 1
      if (doubt.failures >= MAX_LOOKUP_FAILURES) {
        this.drop(key, doubt, error)
        result.dropped++
      }
    }
    return uncounted
  }

  private settle(key: string, doubt: Doubt, outcome: 'reversed' | 'not_debited'): void {
    this.doubts.delete(key)
    const { accountId, currency, units, ref } = doubt
    this.engine.emit({ type: 'debit_repair', accountId, currency, units, ref, outcome })
    if (outcome === 'reversed') {
      this.log('warn', 'a debit answered 503 had been applied by the ledger; it is credited back', {
        accountId,
        currency,
        units,
      })
    }
  }

  /** Gives up on a debit the ledger cannot look up or give back: logged with what an operator needs to settle it by hand. */
  private drop(key: string, doubt: Doubt, error: unknown): void {
    this.doubts.delete(key)
    const { accountId, currency, units, ref } = doubt
    this.engine.emit({ type: 'debit_repair', accountId, currency, units, ref, outcome: 'dropped' })
    this.log(
      'error',
      `a debit in doubt was dropped after ${MAX_LOOKUP_FAILURES} failed lookups while the ledger answered other calls; whether it was applied is unknown: check the journal for this ref`,
      {
        accountId,
        currency,
        units,
        ref,
        error: errorMessage(error),
      },
    )
  }

  private schedule(failure: unknown): void {
    if (failure !== undefined) {
      this.log('warn', 'debits in doubt wait for the ledger', {
        pending: this.doubts.size,
        retryInMs: this.retryMs,
        error: errorMessage(failure),
      })
      this.wake(this.retryMs)
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS)
      return
    }
    this.retryMs = FIRST_RETRY_MS
    const now = Date.now()
    let next = Number.POSITIVE_INFINITY
    for (const doubt of this.doubts.values())
      next = Math.min(next, doubt.absentSince === undefined ? now : doubt.absentSince + SETTLE_MS)
    if (next !== Number.POSITIVE_INFINITY) this.wake(Math.max(next - now, FIRST_RETRY_MS))
  }

  /** A logger that throws must not break a pass, least of all one run by the timer. */
  private log(level: 'warn' | 'error', message: string, meta: Record<string, unknown>): void {
    try {
      this.engine.logger[level](message, meta)
    } catch {
      // Nothing better to do with it here.
    }
  }

  /** Runs a pass in `ms`, unless one is due sooner already. */
  private wake(ms: number): void {
    if (this.closed || this.doubts.size === 0) return
    const at = Date.now() + ms
    if (this.timer !== undefined && this.timerAt <= at) return
    clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.timerAt = Number.POSITIVE_INFINITY
      this.repair().catch(() => {})
    }, ms)
    // Node: never keep the process alive for this. Other runtimes return a number.
    ;(this.timer as { unref?: () => void }).unref?.()
  }
}
