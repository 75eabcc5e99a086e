/** Single flight per origin: while one call tops up, the others wait and then spend the credits it bought. */
import type { PaymentInfo } from '../payment-info'

/** A failure that belongs to the card or payment method, not to one call: a declined card stays declined. */
export type SharedFailure = Pick<PaymentInfo, 'outcome' | 'reason' | 'message' | 'declineCode'>

/** How a top-up flight ended; `shared` is reported by every call that was already under way. */
export type FlightOutcome = { ok: true } | { ok: false; shared?: SharedFailure }

export class Flights {
  private readonly running = new Map<string, Promise<FlightOutcome>>()
  private readonly failures = new Map<string, { ticket: number; shared: SharedFailure }>()
  private tickets = 0

  /** Taken when a call starts: failures that happen later apply to it, earlier ones do not (the caller may be retrying on purpose). */
  ticket(): number {
    return ++this.tickets
  }

  current(key: string): Promise<FlightOutcome> | undefined {
    return this.running.get(key)
  }

  /** A shared failure of a flight for `key` that ended after the call holding `ticket` started. */
  failureSince(key: string, ticket: number): SharedFailure | undefined {
    const failure = this.failures.get(key)
    return failure && failure.ticket > ticket ? failure.shared : undefined
  }

  /**
   * Takes the flight for `key` and returns the function that ends it, or `undefined` when
   * another call holds it. Check and take happen in one synchronous step.
   */
  begin(key: string): ((outcome: FlightOutcome) => void) | undefined {
    if (this.running.has(key)) return undefined
    let resolve!: (outcome: FlightOutcome) => void
    const flight = new Promise<FlightOutcome>((r) => (resolve = r))
    this.running.set(key, flight)
    let done = false
    return (outcome) => {
      if (done) return
      done = true
      this.running.delete(key)
      if (outcome.ok) this.failures.delete(key)
      else if (outcome.shared)
        this.failures.set(key, { ticket: ++this.tickets, shared: outcome.shared })
      resolve(outcome)
    }
  }
}
