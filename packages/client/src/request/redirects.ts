/** Sends a request carrying a `payment` header and follows its redirects by hand, so the header never leaves the origin (spec 14.1). */
import { HEADERS } from '@stripe402/protocol'
import type { ReplayableRequest } from './replayable'

/** Redirects followed with the header, within the origin; one more is handed back as is. */
export const MAX_PAID_HOPS = 5

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

/** Headers fetch itself drops when a redirect changes origin (Fetch standard, HTTP-redirect fetch). */
const CROSS_ORIGIN_DROPPED = ['authorization', 'proxy-authorization', 'cookie']

export interface Sent {
  /** The origin's last answer to a send with the header: what payment decisions and receipts are read from. */
  answer: Response
  /**
   * Set when `answer` is a redirect the header cannot follow (to another origin, or after the
   * origin already answered the payment): follows it without the header and resolves to what the
   * caller gets. Called only once the answer's receipt is recorded, since it may fail.
   */
  follow?: () => Promise<Response>
}

/**
 * A redirect within the origin that has not answered the payment yet (no `payment-response`, e.g.
 * `/old` to `/api/new`) is followed with the header, up to `MAX_PAID_HOPS`. A redirect to another
 * origin, or one that comes after the origin answered the payment (it must not be paid twice), is
 * followed without it. Redirects are only followed when the caller's mode is `follow`; otherwise,
 * and in browsers (where a manual redirect is an opaque response with status 0), the redirect is
 * returned as is.
 */
export async function sendWithPayment(
  fetchImpl: typeof fetch,
  request: ReplayableRequest,
  payment: string,
): Promise<Sent> {
  let url = request.url
  let init = request.init(payment)
  for (let hops = 0; ; hops++) {
    const answer = await fetchImpl(url, init)
    const location =
      request.redirect === 'follow' && REDIRECT_STATUSES.has(answer.status)
        ? answer.headers.get('location')
        : null
    if (location === null) return { answer }
    let next: URL
    try {
      next = new URL(location, url)
    } catch {
      return { answer }
    }
    const nextInit = redirected(init, answer.status)
    const sameOrigin = next.origin === request.origin
    const answered = answer.headers.has(HEADERS.PAYMENT_RESPONSE)
    if (sameOrigin && !answered) {
      if (hops >= MAX_PAID_HOPS) return { answer }
      discard(answer)
      url = next.href
      init = nextInit
      continue
    }
    discard(answer)
    const headers = new Headers(nextInit.headers)
    headers.delete(HEADERS.PAYMENT)
    if (!sameOrigin) for (const name of CROSS_ORIGIN_DROPPED) headers.delete(name)
    return {
      answer,
      follow: () => fetchImpl(next.href, { ...nextInit, headers, redirect: 'follow' }),
    }
  }
}

/** The next hop's options, as fetch derives them: 303 (and 301/302 after a POST) turn into a GET without a body. */
function redirected(init: RequestInit, status: number): RequestInit {
  const method = (init.method ?? 'GET').toUpperCase()
  if (
    !(
      (status === 303 && method !== 'GET' && method !== 'HEAD') ||
      ((status === 301 || status === 302) && method === 'POST')
    )
  )
    return init
  const headers = new Headers(init.headers)
  for (const name of [
    'content-type',
    'content-length',
    'content-encoding',
    'content-language',
    'content-location',
  ])
    headers.delete(name)
  const { body: _body, ...rest } = init
  return { ...rest, method: 'GET', headers }
}

/** Frees a response the caller will never read, so its connection goes back to the pool; its headers stay readable. */
export function discard(response: Response): void {
  response.body?.cancel().catch(() => {})
}
