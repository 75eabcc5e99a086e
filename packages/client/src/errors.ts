/** The one error class the client throws, for misuse and broken environments (never for a refused payment). */

/**
 * Why the client threw. Payment refusals and failures are not thrown: the caller gets
 * the server's 402 back and reads the reason with `getPaymentInfo(response)`.
 */
export type ClientErrorCode =
  /** `createPayingFetch` was given options it cannot work with. */
  | 'invalid_options'
  /** A one-shot stream body cannot be sent twice, and a 402 needs a second send. */
  | 'body_not_replayable'
  /** The store holds something that is not a wallet; refusing beats silently resetting budgets. */
  | 'store_corrupt'
  /** The store could not be read or written before money would move. */
  | 'store_unavailable'

/** Thrown by the client; `code` says what to fix. */
export class Stripe402ClientError extends Error {
  override readonly name = 'Stripe402ClientError'
  readonly code: ClientErrorCode

  constructor(code: ClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
  }
}

/** True for a `Stripe402ClientError`, even one from another copy of this package (CJS bundles each entry point separately). */
export function isClientError(value: unknown): value is Stripe402ClientError {
  return (
    value instanceof Error &&
    value.name === 'Stripe402ClientError' &&
    typeof (value as { code?: unknown }).code === 'string'
  )
}

/** The message of anything thrown, for error text. */
export function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause)
}
