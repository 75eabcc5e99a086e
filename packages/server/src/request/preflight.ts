/** CORS preflights of paid routes: the paywall answers them itself, so that none reaches a handler. */
import { HEADERS } from '@stripe402/protocol'
import type { ResolvedConfig } from '../config/resolve'
import type { PaywallRequest } from '../http/request'
import { EXPOSE_HEADERS } from '../http/responses'
import type { RespondOutcome } from '../outcome'

/** An HTTP token (RFC 9110 §5.6.2): what a method or a header name may be. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** Header names echoed from `Access-Control-Request-Headers`, at most: a browser asks for a few. */
const MAX_REQUESTED_HEADERS = 64

/**
 * The method a CORS preflight asks for, or null when the request is no preflight (a plain
 * OPTIONS, or one whose `Access-Control-Request-Method` is not a method). Kept as sent: browsers
 * compare the allowed methods case-sensitively (`patch` stays lower-case).
 */
export function preflightMethod(headers: PaywallRequest['headers']): string | null {
  const raw: unknown = headers.get('access-control-request-method')
  if (typeof raw !== 'string') return null
  const method = raw.trim()
  return TOKEN.test(method) ? method : null
}

/**
 * 204 allowing `method` with the `payment` header (and whatever else the page asked for), exposing
 * the answer headers a client reads. `Access-Control-Allow-Origin` is `*` unless `cors.origins`
 * lists origins: `*` is safe because the credential is the `payment` header a script sets itself,
 * never a cookie or HTTP auth a browser adds on its own, so a hostile page can spend only a
 * credential it already holds (and `*` forbids credentialed requests anyway). With a list, the
 * Origin is echoed only when listed; otherwise the header is left out and the browser refuses.
 */
export function preflightOutcome(
  config: ResolvedConfig,
  headers: PaywallRequest['headers'],
  method: string,
): RespondOutcome {
  const answer: Record<string, string> = {
    'access-control-allow-methods': method,
    'access-control-allow-headers': allowedHeaders(headers.get('access-control-request-headers')),
    ...EXPOSE_HEADERS,
    'access-control-max-age': String(config.cors.maxAge),
    vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
  }
  const origin = allowedOrigin(config, headers.get('origin'))
  if (origin !== null) answer['access-control-allow-origin'] = origin
  return { type: 'respond', status: 204, headers: answer, body: '' }
}

/** `payment` and the header names the preflight asks for (valid tokens only, lower-cased, once each). */
function allowedHeaders(requested: unknown): string {
  const names = new Set<string>([HEADERS.PAYMENT])
  if (typeof requested === 'string') {
    for (const part of requested.split(',', MAX_REQUESTED_HEADERS)) {
      const name = part.trim().toLowerCase()
      if (TOKEN.test(name)) names.add(name)
    }
  }
  return [...names].join(', ')
}

function allowedOrigin(config: ResolvedConfig, origin: unknown): string | null {
  const { origins } = config.cors
  if (origins === null) return '*'
  return typeof origin === 'string' && origins.has(origin.toLowerCase()) ? origin : null
}
