/** AbortSignal helpers: every wait in the client gives up when the caller's signal fires. */

/** Resolves with `promise`, or rejects with the signal's reason as soon as it aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason
}

/**
 * Waits for `promise` (its outcome ignored) for at most `ms`: `true` when it settled, `false` on
 * timeout. Rejects with the signal's reason as soon as it aborts. A backstop, so that no bug in
 * whoever should settle `promise` can make a caller wait forever.
 */
export function settledWithin(
  promise: Promise<unknown>,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)))
  const settled = promise.then(
    () => true as const,
    () => true as const,
  )
  return abortable(Promise.race([settled, timeout]), signal).finally(() => clearTimeout(timer))
}
