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
 * be overwritten by a handler that marks its answer `public`.
 */
export function keepNodeResponsePrivate(res: NodeResponseLike): void {
  const writeHead = res.writeHead as (...args: unknown[]) => unknown
  res.writeHead = ((...args: unknown[]) => {
    res.setHeader('cache-control', PAID_CACHE_CONTROL)
    res.setHeader('vary', varyOnPayment(headerText(res.getHeader('vary'))))
    return writeHead.apply(res, args)
  }) as NodeResponseLike['writeHead']
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
