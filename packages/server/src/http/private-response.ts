/** Paid answers belong to their payer: no shared cache may keep them, nor the credential in their receipt. */

/** What a paid response carries whatever the handler said (spec §14.2). */
export const PAID_CACHE_CONTROL = 'private, no-store'

/** `Vary` with `payment` added: the same URL answers differently per payment header. */
export function varyOnPayment(current: string | null | undefined): string {
  // Most handlers set no Vary at all: nothing to split and search.
  if (!current) return 'payment'
  const names = (current ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean)
  if (names.includes('*') || names.some((name) => name.toLowerCase() === 'payment'))
    return names.join(', ')
  return [...names, 'payment'].join(', ')
}

/** The part of Node's ServerResponse this needs (structural, so the engine stays runtime-neutral). */
export interface NodeResponseLike {
  setHeader(name: string, value: string): unknown
  getHeader(name: string): unknown
  writeHead: (...args: never[]) => unknown
}

/**
 * Makes the head of a Node response private when it is written, after the handler had its say:
 * handlers (and frameworks) set headers at any time before that, so setting them earlier could
 * be overwritten by a handler that marks its answer `public`. Headers passed to `writeHead`
 * itself win over set ones in Node, so the caching ones are taken out of them.
 */
export function keepNodeResponsePrivate(res: NodeResponseLike): void {
  const writeHead = res.writeHead as (...args: unknown[]) => unknown
  res.writeHead = ((...args: unknown[]) =>
    writeHead.apply(res, makeHeadPrivate(res, args))) as NodeResponseLike['writeHead']
}

/**
 * What `keepNodeResponsePrivate`'s `writeHead` does before the real one: sets `Cache-Control` and
 * `Vary` and takes them out of the arguments, which it returns, for the real `writeHead`.
 */
export function makeHeadPrivate(res: NodeResponseLike, args: unknown[]): unknown[] {
  // writeHead(status, headers?) or writeHead(status, reason, headers?).
  const at = typeof args[1] === 'string' ? 2 : 1
  const passed = withoutCaching(args[at])
  if (passed) args[at] = passed.rest
  const vary = passed?.vary ?? headerText(res.getHeader('vary'))
  res.setHeader('cache-control', PAID_CACHE_CONTROL)
  res.setHeader('vary', varyOnPayment(vary))
  return args
}

/**
 * Headers given to `writeHead` (an object, or Node's flat `[name, value, …]` list) without
 * `Cache-Control` and `Vary`, and the `Vary` they named; undefined when there are none.
 */
function withoutCaching(
  headers: unknown,
): { rest: Record<string, unknown> | unknown[]; vary: string | undefined } | undefined {
  // Nearly always: `writeHead(status)` from `res.end()`, with nothing to take out.
  if (headers === null || typeof headers !== 'object') return undefined
  const vary: string[] = []
  const keep = (name: unknown, value: unknown): boolean => {
    const lower = String(name).toLowerCase()
    if (lower === 'vary') vary.push(headerText(value) ?? '')
    return lower !== 'vary' && lower !== 'cache-control'
  }
  let rest: Record<string, unknown> | unknown[]
  if (Array.isArray(headers)) {
    rest = []
    for (let i = 0; i < headers.length; i += 2)
      if (keep(headers[i], headers[i + 1])) rest.push(headers[i], headers[i + 1])
  } else {
    rest = Object.fromEntries(Object.entries(headers).filter(([name, value]) => keep(name, value)))
  }
  return { rest, vary: vary.length > 0 ? vary.join(', ') : undefined }
}

/** The same for a WHATWG Response's (mutable) headers. */
export function keepHeadersPrivate(headers: Headers): void {
  headers.set('cache-control', PAID_CACHE_CONTROL)
  headers.set('vary', varyOnPayment(headers.get('vary')))
}

function headerText(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.join(', ')
  return value === undefined || value === null ? undefined : String(value)
}
