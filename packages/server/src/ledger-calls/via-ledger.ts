/** Marks a failed ledger call so the engine answers 503 `ledger_unavailable` however deep it happened. */

/** Any error thrown by a ledger method, wrapped: the store is down or misbehaving, never the client's fault. */
export class LedgerFailure extends Error {
  override readonly name = 'LedgerFailure'
  /**
   * True when the failed call was a debit that may have been applied (the store can commit and
   * still lose the answer): the 503 must then not say that nothing was spent.
   */
  readonly debitInDoubt: boolean
  /**
   * True when the store answered the debit with an error (a data or schema error): nothing was
   * applied, and the fault is the server's, not an outage. Answered 500 `internal_error`, not 503.
   */
  readonly refused: boolean
  constructor(cause: unknown, options: { debitInDoubt?: boolean; refused?: boolean } = {}) {
    super(cause instanceof Error ? cause.message : String(cause), { cause })
    this.debitInDoubt = options.debitInDoubt ?? false
    this.refused = options.refused ?? false
  }
}

/** Runs a ledger call; whatever it throws becomes a `LedgerFailure`. */
export async function viaLedger<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (error) {
    throw error instanceof LedgerFailure ? error : new LedgerFailure(error)
  }
}
