/** A request that can be sent more than once: its body buffered once, its options kept, a payment header added per send. */
import { HEADERS } from '@stripe402/protocol'
import { Stripe402ClientError } from '../errors'

export interface ReplayableRequest {
  url: string
  /** `https://api.example.com`; `null` for URLs without one (data:, blob:). */
  origin: string
  /** `METHOD /path`, the key prices are remembered under. */
  route: string
  method: string
  signal: AbortSignal | undefined
  /** The caller's redirect mode; sends that carry a `payment` header follow redirects by hand (`request/redirects.ts`). */
  redirect: RequestRedirect
  /** A `payment` header the caller set: the client stays out of the way, except to keep it on its origin. */
  callerPayment: string | undefined
  /**
   * Options for one send. With a `payment` value the header is set and `redirect` is `manual`, so
   * that fetch never takes the header to another origin by itself.
   */
  init(payment?: string): RequestInit
}

/**
 * Normalises `fetch` arguments through `Request`, exactly as `fetch` would (FormData gets
 * its multipart boundary, URLSearchParams its content type), then buffers the body once.
 * A one-shot stream passed as `init.body` is refused up front: sent once, it would go
 * empty on the paid retry.
 */
export async function prepareRequest(
  input: RequestInfo | URL,
  init?: RequestInit,
): Promise<ReplayableRequest> {
  if (init?.body != null && isOneShot(init.body)) {
    throw new Stripe402ClientError(
      'body_not_replayable',
      'A paying fetch may have to send a request twice (once to learn the price, once to pay), and a stream body can be read only once. Pass a string, Blob, ArrayBuffer, FormData or URLSearchParams instead.',
    )
  }
  const request = new Request(input, init)
  const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined) ?? undefined
  const body = request.body === null ? undefined : await request.arrayBuffer()
  const url = new URL(request.url)
  const headers = request.headers
  const base: RequestInit = {
    method: request.method,
    redirect: request.redirect,
    credentials: request.credentials,
    cache: request.cache,
    integrity: request.integrity,
    keepalive: request.keepalive,
    referrerPolicy: request.referrerPolicy,
  }
  // `navigate` cannot be set by script; every other mode passes through (browsers care, Node ignores it).
  if (request.mode !== 'navigate') base.mode = request.mode
  return {
    url: request.url,
    origin: url.origin,
    route: `${request.method} ${url.pathname}`,
    method: request.method,
    signal,
    redirect: request.redirect,
    callerPayment: headers.get(HEADERS.PAYMENT) ?? undefined,
    init(payment) {
      const sendHeaders = new Headers(headers)
      if (payment !== undefined) sendHeaders.set(HEADERS.PAYMENT, payment)
      return {
        ...base,
        ...(payment !== undefined ? { redirect: 'manual' as const } : {}),
        headers: sendHeaders,
        ...(body !== undefined ? { body } : {}),
        ...(signal ? { signal } : {}),
      }
    },
  }
}

/** Streams and (async) iterables can be read once; everything `Request` accepts otherwise can be buffered. */
function isOneShot(body: BodyInit): boolean {
  if (typeof body !== 'object') return false
  if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) return true
  const candidate = body as unknown as Record<PropertyKey, unknown>
  return (
    typeof candidate.getReader === 'function' ||
    typeof candidate.pipe === 'function' ||
    typeof candidate[Symbol.asyncIterator] === 'function'
  )
}
