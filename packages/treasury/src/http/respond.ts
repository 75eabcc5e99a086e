/** The treasury's own answers: JSON with `private, no-store`, errors as `{ error: { code, message } }`. */
import { TreasuryError } from '../errors'
import { StoreConflictError, StoreUnavailableError } from '../store/types'

const NO_STORE = { 'cache-control': 'private, no-store', 'x-content-type-options': 'nosniff' }

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...NO_STORE, ...headers },
  })
}

export function text(
  status: number,
  body: string,
  contentType: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(body, {
    status,
    headers: { 'content-type': contentType, ...NO_STORE, ...headers },
  })
}

/** Any error as an answer; what is not a TreasuryError says nothing about itself (it may hold a secret). */
export function errorResponse(error: unknown): Response {
  const known = toTreasuryError(error)
  const headers: Record<string, string> = { 'treasury-error': known.code }
  if (known.status === 503) headers['retry-after'] = '2'
  if (known.status === 401) headers['www-authenticate'] = 'Bearer'
  return json(known.status, { error: { code: known.code, message: known.message } }, headers)
}

export function toTreasuryError(error: unknown): TreasuryError {
  if (error instanceof TreasuryError) return error
  if (error instanceof StoreUnavailableError)
    return new TreasuryError(
      'store_unavailable',
      'The treasury cannot reach its store; nothing was done. Try again.',
    )
  if (error instanceof StoreConflictError)
    return new TreasuryError('name_taken', 'Another agent has that name.')
  return new TreasuryError(
    'internal_error',
    'The treasury failed to handle the request; nothing was done.',
  )
}
