/** Collects the spends asked for in one turn of the event loop, for a ledger that sends them together. */
import type { SpendInput, SpendResult } from './types'
import { checkSpend } from './validate'

/** A spend waiting for its batch, and how to answer it. */
export interface QueuedSpend {
  input: SpendInput
  resolve: (result: SpendResult) => void
  reject: (error: unknown) => void
}

/**
 * After this turn's I/O callbacks: setImmediate on Node, Bun and Deno, so the requests read in
 * one turn share a batch; a zero timer elsewhere (PGlite in a browser).
 */
const nextTurn: (run: () => void) => void =
  typeof setImmediate === 'function' ? (run) => setImmediate(run) : (run) => setTimeout(run, 0)

/**
 * Queues spends and hands them to `send` after the current turn, at most `max` at a time (a
 * longer queue goes as several batches at once). `send` answers every spend of its batch.
 */
export class SpendBatcher {
  private readonly queue: QueuedSpend[] = []

  constructor(
    private readonly send: (batch: QueuedSpend[]) => void,
    private readonly max: number,
  ) {}

  /** Checks the spend (a malformed one is refused at once, alone) and queues it. */
  add(input: SpendInput): Promise<SpendResult> {
    try {
      checkSpend(input)
    } catch (err) {
      return Promise.reject(err)
    }
    return new Promise<SpendResult>((resolve, reject) => {
      this.queue.push({ input, resolve, reject })
      if (this.queue.length === 1) nextTurn(this.flush)
    })
  }

  private readonly flush = (): void => {
    while (this.queue.length > 0) this.send(this.queue.splice(0, this.max))
  }
}
