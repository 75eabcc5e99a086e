/**
 * Idempotency-Key handling on POST, as Stripe does it: the first response for a key is kept 24 hours
 * and replayed (`Idempotent-Replayed: true`) for the same endpoint and parameters; other parameters
 * are an `idempotency_error`; a second request while the first still runs gets 409.
 */
import { type ApiError, idempotencyError, invalidRequest } from '../errors'
import type { FormValue } from './form'

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000
const MAX_KEY_LENGTH = 255

export interface StoredResponse {
  status: number
  body: string
  requestId: string
}

export interface IdempotencyRecord {
  endpoint: string
  params: string
  createdAt: number
  /** null while the first request is still being handled. */
  response: StoredResponse | null
}

export type IdempotencyOutcome =
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'error'; error: ApiError }
  | { kind: 'proceed'; save: (response: StoredResponse) => void; release: () => void }

/** Parameters in a canonical form, so that key order does not make equal requests differ. */
function canonical(value: FormValue): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(value[k] as FormValue)}`)
    .join(',')}}`
}

export function beginIdempotent(
  store: Map<string, IdempotencyRecord>,
  key: string,
  endpoint: string,
  params: Record<string, FormValue>,
  now = Date.now(),
): IdempotencyOutcome {
  if (key.length > MAX_KEY_LENGTH) {
    return {
      kind: 'error',
      error: invalidRequest(
        `Idempotency keys can be at most ${MAX_KEY_LENGTH} characters long.`,
        undefined,
        'idempotency_key_too_long',
      ),
    }
  }
  // Records sit in the Map in creation order, so expired ones are at the front: stop at the first live one.
  for (const [k, record] of store) {
    if (now - record.createdAt <= IDEMPOTENCY_TTL_MS) break
    store.delete(k)
  }
  const fingerprint = canonical(params)
  const existing = store.get(key)
  if (existing) {
    if (existing.endpoint !== endpoint) {
      return {
        kind: 'error',
        error: idempotencyError(
          `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${existing.endpoint}' vs '${endpoint}'). Try using a key other than '${key}' if you meant to execute a different request.`,
        ),
      }
    }
    if (existing.params !== fingerprint) {
      return {
        kind: 'error',
        error: idempotencyError(
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
        ),
      }
    }
    if (existing.response === null) {
      return {
        kind: 'error',
        error: idempotencyError(
          `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${key}. Please try again later.`,
          409,
          'idempotency_key_in_use',
        ),
      }
    }
    return { kind: 'replay', response: existing.response }
  }
  const record: IdempotencyRecord = {
    endpoint,
    params: fingerprint,
    createdAt: now,
    response: null,
  }
  store.set(key, record)
  return {
    kind: 'proceed',
    save: (response) => {
      record.response = response
    },
    // Nothing was executed (a parameter error, an injected fault before the endpoint ran): the key is free again.
    release: () => {
      if (store.get(key) === record) store.delete(key)
    },
  }
}
