/** Path audits: free routes stay free, and no spelling of the paid path is served without payment. */
import { encodeHeader, HEADERS } from '@stripe402/protocol'
import { isServed } from '../session/http'
import type { Route } from '../session/options'
import { served, type Session } from '../session/session'
import { defineAudit } from './define'
import { fail } from './failure'
import type { Audit, AuditName, Requirement } from './types'

/** A spelling of the paid path, or why there is none for this path. */
type Variants = (path: string) => string[]

export function pathAudits(session: Session): Audit[] {
  const audits: Audit[] = []
  const free = session.freeRoute
  if (free) {
    audits.push(
      defineAudit(
        'S402-PATH-01',
        'MUST serve the free route without payment',
        { requiredAt: 'v1', section: '§2.4' },
        async () => {
          const ex = await session.send({ method: free.method, path: free.path })
          if (!isServed(ex))
            fail(`The free route ${free.method} ${free.path} was answered ${ex.status}.`, ex)
          if (ex.headers[HEADERS.PAYMENT_REQUIRED] !== undefined)
            fail('The free route sent a payment-required header.', ex)
        },
      ),
      defineAudit(
        'S402-PATH-02',
        'MUST NOT spend credits on the free route',
        { requiredAt: 'v1', section: '§2.4' },
        async () => {
          const { amount } = await session.offer()
          const { clientId, balance: before } = await session.fundedBalance()
          const headers = { [HEADERS.PAYMENT]: encodeHeader({ stripe402Version: 1, clientId }) }
          const ex = await session.send({ method: free.method, path: free.path, headers })
          if (!isServed(ex)) fail(`The free route with a clientId was answered ${ex.status}.`, ex)
          const after = await session.spend(clientId)
          const { creditsRemaining } = served(after, 'Spending after the free route')
          if (creditsRemaining !== before - amount)
            fail(`The free route spent ${before - amount - creditsRemaining} credits.`, ex)
        },
      ),
    )
  }

  /** Each variant, sent unpaid, must not be served (2xx); 3xx, 402 and 404 are all fine. */
  const unpaidVariant = (
    id: string,
    name: AuditName,
    requirement: Requirement,
    variants: Variants,
    raw = false,
  ) =>
    defineAudit(id, name, requirement, async () => {
      const paths = variants(session.route.path).filter((p) => p !== session.route.path)
      if (paths.length === 0) return `Not applicable to ${session.route.path}.`
      for (const path of paths) {
        const ex = await session.unpaid(path, { raw })
        if (isServed(ex))
          fail(
            `${path} was served without payment (${ex.status}): the same resource as ${session.route.path} for free.`,
            ex,
          )
      }
    })

  audits.push(
    unpaidVariant(
      'S402-PATH-03',
      'MUST NOT serve the paid path with a trailing slash unpaid',
      { requiredAt: 'v1', section: '§14.11' },
      (p) => [p.endsWith('/') ? p.slice(0, -1) : `${p}/`],
    ),
    unpaidVariant(
      'S402-PATH-04',
      'MUST NOT serve the paid path with doubled slashes unpaid',
      { requiredAt: 'v1', section: '§14.11' },
      (p) => [`/${p}`, p.replace(/\/(?=[^/]*$)/, '//')],
    ),
    unpaidVariant(
      'S402-PATH-05',
      'MUST NOT serve the paid path in another letter case unpaid',
      { requiredAt: 'v1', section: '§14.11' },
      (p) => [p.toUpperCase(), swapFirstLetterCase(p)],
    ),
    unpaidVariant(
      'S402-PATH-06',
      'MUST NOT serve the paid path with a percent-encoded character unpaid',
      { requiredAt: 'v1', section: '§14.11' },
      (p) => [percentEncodeOne(p, 'upper'), percentEncodeOne(p, 'lower')],
    ),
    unpaidVariant(
      'S402-PATH-07',
      'MUST NOT serve the paid path with dot segments unpaid',
      { requiredAt: 'v1', section: '§14.11' },
      (p) => [insertBeforeLast(p, '/.'), insertBeforeLast(p, '/conformance/..')],
      true,
    ),
    unpaidVariant(
      'S402-PATH-08',
      'MUST NOT serve the paid path with an encoded slash unpaid',
      { requiredAt: 'v1', section: '§14.11' },
      (p) =>
        lastSlash(p) > 0 ? [`${p.slice(0, lastSlash(p))}%2F${p.slice(lastSlash(p) + 1)}`] : [],
    ),
    unpaidVariant(
      'S402-PATH-09',
      'MUST NOT serve the paid path with ;parameters unpaid',
      { requiredAt: 'v1', section: '§14.11' },
      (p) => [`${p};conformance=1`],
    ),
    unpaidVariant(
      'S402-PATH-10',
      'MUST NOT serve the paid path with a query string unpaid',
      { requiredAt: 'v1', section: '§14.11' },
      (p) => [`${p}?conformance=1`],
    ),
    defineAudit(
      'S402-PATH-11',
      'SHOULD NOT answer HEAD of the paid path with 2xx unpaid',
      { requiredAt: 'v1', section: '§14.11' },
      async () => {
        const ex = await session.unpaid(session.route.path, { method: 'HEAD' })
        if (isServed(ex))
          fail(
            `HEAD ${session.route.path} was answered ${ex.status} without payment: the paid handler ran for free.`,
            ex,
          )
      },
    ),
  )
  if (session.paramRoute) audits.push(...paramAudits(session, session.paramRoute))
  audits.push(
    // PATH-04 doubles one slash; a paywall that removes one empty segment (`replace('//', '/')`) passes it.
    unpaidVariant(
      'S402-PATH-17',
      'MUST NOT serve the paid path with runs of empty segments unpaid',
      { requiredAt: 'v1', section: '§14.11' },
      (p) => [p.replace(/\/(?=[^/]*$)/, '///'), p.replaceAll('/', '//')],
    ),
    defineAudit(
      'S402-PATH-18',
      'MUST NOT serve the paid route unpaid to another method that asks to be overridden',
      { requiredAt: 'stripe402', section: '§14.11' },
      async () => {
        const { method, path } = session.route
        const carrier = method === 'POST' ? 'PUT' : 'POST'
        const query = path.includes('?') ? '&' : '?'
        const tries = [
          ...OVERRIDE_HEADERS.map((name) => ({ path, headers: { [name]: method } })),
          { path: `${path}${query}_method=${method}`, headers: {} },
        ]
        for (const { path: sent, headers } of tries) {
          const ex = await session.unpaid(sent, { method: carrier, headers })
          if (isServed(ex))
            fail(
              `${carrier} ${sent}${Object.keys(headers).map((h) => ` with ${h}: ${method}`)} was served without payment (${ex.status}): a method override reached the paid ${method} handler for free.`,
              ex,
            )
        }
      },
    ),
  )
  return audits
}

/** Headers that method-override middleware (Express `method-override`, Hono's `methodOverride`) acts on. */
const OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override']

/**
 * Routers match `:param` and `*` on the raw path and decode afterwards, so `/users/a%2Fb`,
 * `/users/..` and `/users/a;b` reach the `/users/:id` handler: a paywall that decodes or
 * resolves them first sees another path and lets them through (spec §14.11).
 */
function paramAudits(session: Session, route: Route): Audit[] {
  const plain = fill(route.path, 'conformance')
  const baseline = () =>
    session.once('param-route', () => session.unpaid(plain, { method: route.method }))
  const unpaidValues = (
    id: string,
    name: AuditName,
    requirement: Requirement,
    values: string[],
    absoluteForm = false,
  ) =>
    defineAudit(id, name, requirement, async () => {
      if ((await baseline()).status !== 402)
        return `Not applicable: ${route.method} ${plain} is not answered 402 (see S402-PATH-12).`
      if (absoluteForm && session.target.fetch)
        return 'Not applicable with a custom fetch: it cannot send an absolute-form request target.'
      const skipped: string[] = []
      for (const value of values) {
        const path = fill(route.path, value)
        const ex = await session.unpaid(path, { method: route.method, raw: true, absoluteForm })
        if (!isServed(ex)) continue
        // A fetch-based server resolves dot segments before routing: the resolved path answering too is no bypass.
        const resolved = new URL(path, 'http://resolve.invalid').pathname
        if (
          resolved !== path &&
          isServed(await session.unpaid(resolved, { method: route.method }))
        ) {
          skipped.push(`${path} (served as ${resolved}, which is free)`)
          continue
        }
        const sent = absoluteForm
          ? `${route.method} ${session.target.base}${path} (absolute-form)`
          : path
        fail(
          `${sent} was served without payment (${ex.status}): the ${route.path} handler ran for free.`,
          ex,
        )
      }
      if (skipped.length > 0) return `Could not tell apart: ${skipped.join(', ')}.`
    })
  return [
    defineAudit(
      'S402-PATH-12',
      'MUST answer an unpaid request to the parameter route with 402',
      { requiredAt: 'v1', section: '§14.11' },
      async () => {
        const ex = await baseline()
        if (ex.status !== 402)
          fail(`${route.method} ${plain} was answered ${ex.status} without payment, not 402.`, ex)
      },
    ),
    unpaidValues(
      'S402-PATH-13',
      'MUST NOT serve the parameter route unpaid when a parameter holds an encoded slash',
      { requiredAt: 'v1', section: '§14.11' },
      ['a%2Fb', 'a%2fb', '%2F'],
    ),
    unpaidValues(
      'S402-PATH-14',
      'MUST NOT serve the parameter route unpaid when a parameter is a dot segment',
      { requiredAt: 'v1', section: '§14.11' },
      ['.', '..', '%2E', '%2e%2e', '%2E%2E', '.%2E'],
    ),
    unpaidValues(
      'S402-PATH-15',
      'MUST NOT serve the parameter route unpaid when a parameter holds ;',
      { requiredAt: 'v1', section: '§14.11' },
      ['a;b', ';b', '%3B'],
    ),
    // `GET http://host/users/.. HTTP/1.1`: a paywall that parses the URL resolves `..`; the router does not.
    unpaidValues(
      'S402-PATH-16',
      'MUST NOT serve the parameter route unpaid when an absolute-form request target puts a dot segment in a parameter',
      { requiredAt: 'v1', section: '§14.11' },
      ['..', '%2e%2e', '%2E%2E', '.'],
      true,
    ),
  ]
}

/** The route's path with its first `:name` (or its `*`) replaced by `value`, and any other by a plain word. */
function fill(pattern: string, value: string): string {
  let filled = false
  return pattern
    .split('/')
    .map((segment) => {
      if (segment !== '*' && !/^:[A-Za-z_]\w*$/.test(segment)) return segment
      if (filled) return 'conformance'
      filled = true
      return value
    })
    .join('/')
}

const lastSlash = (p: string) => p.lastIndexOf('/')

function insertBeforeLast(p: string, segment: string): string {
  const i = lastSlash(p)
  return `${p.slice(0, i)}${segment}${p.slice(i)}`
}

function swapFirstLetterCase(p: string): string {
  const i = p.search(/[A-Za-z]/)
  if (i < 0) return p
  const c = p[i] as string
  return (
    p.slice(0, i) + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) + p.slice(i + 1)
  )
}

/** Percent-encodes the first letter or digit of the last segment (`/api/joke` → `/api/%6Aoke`). */
function percentEncodeOne(p: string, hexCase: 'upper' | 'lower'): string {
  const start = lastSlash(p) + 1
  const offset = p.slice(start).search(/[A-Za-z0-9]/)
  if (offset < 0) return p
  const i = start + offset
  const hex = (p.charCodeAt(i) as number).toString(16)
  return `${p.slice(0, i)}%${hexCase === 'upper' ? hex.toUpperCase() : hex.toLowerCase()}${p.slice(i + 1)}`
}
