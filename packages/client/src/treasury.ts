/**
 * `createTreasuryFetch`: a `fetch` for an agent's code that pays through a treasury
 * (`@stripe402/treasury`) with the agent's handle, instead of holding a card. Same signature as
 * `fetch`; `getPaymentInfo` reads its answers as it reads a paying fetch's. No Node-only APIs: it
 * runs in Node, browsers and edge runtimes.
 */
import { attachPaymentInfo, type PaymentInfo, type PaymentOutcome } from './payment-info'

export interface TreasuryFetchOptions {
  /** The treasury's base URL, e.g. `https://treasury.internal:8402`. */
  url: string
  /** The agent's handle (`s402a_…`), from the admin; keep it secret like a password. */
  handle: string
  /** The `fetch` that reaches the treasury; default `globalThis.fetch`. */
  fetch?: typeof fetch
  /**
   * Read at each call: the most that call may cost, in units, below the agent's caps (a tool's
   * `maxPrice`). The treasury refuses a price above it before anything is paid.
   */
  maxPrice?: () => number | undefined
}

/** What the treasury said about one call, read from its answer's headers. */
export interface TreasuryInfo {
  /** The treasury's id for the call (in its spend log); absent when it refused the request itself. */
  callId?: string
  /** `paid`, `none`, `refused` or `failed`; absent when the treasury refused the request itself. */
  outcome?: string
  /** Why: `cap_reached`, a server's or Stripe's code, or the treasury's own error code. */
  reason?: string
  /** Units this call cost the agent, in `currency`. */
  cost?: number
  currency?: string
  /** Units the agent may still spend in `currency` today, this month and in total (the least of them). */
  remaining?: number
  /** Units charged to the card during this call (a top-up it caused). */
  topUp?: number
  /** Set when the treasury answered instead of the API: `{ code, message }` is in the JSON body. */
  error?: string
}

/** What `GET /v1/me` tells an agent: its caps, what it spent and what is left, per currency, in units. */
export interface TreasuryAccount {
  id: string
  name: string
  status: string
  caps: Record<string, Partial<Record<'perCall' | 'daily' | 'monthly' | 'total', number>>>
  allowedOrigins: string[]
  expiresAt?: string | null
  spent: Record<string, { daily: number; monthly: number; total: number }>
  /** What is left under each cap; `next` is the most the next call may cost. */
  remaining: Record<
    string,
    Partial<Record<'perCall' | 'daily' | 'monthly' | 'total', number>> & { next: number }
  >
}

/** A fetch paid by a treasury, and the agent's account there. */
export interface TreasuryFetch {
  (input: RequestInfo | URL, init?: RequestInit): Promise<Response>
  /** The agent's caps, spend and what is left (`GET /v1/me`). Rejects with the treasury's reason. */
  account(): Promise<TreasuryAccount>
}

/** A `fetch` whose requests the treasury makes and pays for, inside the agent's caps. */
export function createTreasuryFetch(options: TreasuryFetchOptions): TreasuryFetch {
  const base = options.url.replace(/\/+$/, '')
  if (!/^https?:\/\//i.test(base)) throw new TypeError('createTreasuryFetch: url must be http(s)')
  if (!/^s402a_\S+$/.test(options.handle))
    throw new TypeError('createTreasuryFetch: handle must be an agent handle (s402a_…)')
  const send = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const authorization = `Bearer ${options.handle}`
  const pay = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init)
    const headers: Record<string, string> = {}
    request.headers.forEach((value, name) => {
      headers[name] = value
    })
    const bytes = request.body === null ? undefined : new Uint8Array(await request.arrayBuffer())
    const body = bytes === undefined ? undefined : encodeBody(bytes)
    const maxPrice = options.maxPrice?.()
    const response = await send(`${base}/v1/fetch`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({
        method: request.method,
        url: request.url,
        headers,
        ...(body ? { body: body.text, bodyEncoding: body.encoding } : {}),
        ...(maxPrice !== undefined && { maxPrice }),
      }),
      ...(init?.signal ? { signal: init.signal } : {}),
    })
    const info = getTreasuryInfo(response)
    return info ? attachPaymentInfo(response, paymentInfoOf(request, info)) : response
  }
  const account = async (): Promise<TreasuryAccount> => {
    const response = await send(`${base}/v1/me`, { headers: { authorization } })
    const body = (await response.json().catch(() => undefined)) as
      | (TreasuryAccount & { error?: { code?: string; message?: string } })
      | undefined
    if (!response.ok || !body)
      throw new Error(
        `the treasury answered ${response.status}${body?.error?.code ? ` ${body.error.code}` : ''}: ${body?.error?.message ?? 'no account'}`,
      )
    return body
  }
  return Object.assign(pay, { account })
}

/** The treasury's account of a call in the words of `getPaymentInfo`, so code reads both alike. */
function paymentInfoOf(request: Request, info: TreasuryInfo): PaymentInfo {
  const url = new URL(request.url)
  const outcome: PaymentOutcome =
    info.error !== undefined
      ? 'refused'
      : info.outcome === 'paid' || info.outcome === 'refused' || info.outcome === 'failed'
        ? info.outcome
        : 'none'
  return {
    outcome,
    origin: url.origin,
    route: `${request.method} ${url.pathname}`,
    requests: 1,
    ...(info.currency !== undefined && { currency: info.currency }),
    ...(outcome === 'paid' && info.cost !== undefined && { amount: info.cost }),
    ...(info.topUp !== undefined && { topUp: { units: info.topUp } }),
    ...(info.reason !== undefined && { reason: info.reason }),
    ...((outcome === 'refused' || outcome === 'failed') && {
      message:
        TREASURY_REASONS[info.reason ?? ''] ?? `the treasury answered ${info.reason ?? outcome}`,
    }),
  }
}

/** The treasury's refusals in words an agent (or its model) can act on. */
const TREASURY_REASONS: Record<string, string> = {
  cap_reached:
    "the treasury refused it: above what this agent's caps (or this call's maxPrice) leave",
  agent_revoked:
    "the treasury refused it: this agent's handle was revoked; ask the treasury's admin",
  agent_expired: "the treasury refused it: this agent's handle expired; ask the treasury's admin",
  origin_not_allowed: 'the treasury refused it: this agent may not reach this origin',
  address_not_allowed: 'the treasury refused it: this address is private to the treasury',
  unauthorized: 'the treasury does not know this handle (STRIPE402_TREASURY_HANDLE)',
}

/** The treasury's account of a call, from a response a treasury fetch returned; `undefined` for any other response. */
export function getTreasuryInfo(response: Response): TreasuryInfo | undefined {
  const h = response.headers
  const error = h.get('treasury-error') ?? undefined
  const outcome = h.get('treasury-outcome') ?? undefined
  if (error === undefined && outcome === undefined) return undefined
  const number = (name: string) => {
    const value = h.get(name)
    return value !== null && /^\d+$/.test(value) ? Number(value) : undefined
  }
  const info: TreasuryInfo = {}
  const set = <K extends keyof TreasuryInfo>(key: K, value: TreasuryInfo[K] | undefined) => {
    if (value !== undefined) info[key] = value
  }
  set('callId', h.get('treasury-call') ?? undefined)
  set('outcome', outcome)
  set('reason', h.get('treasury-reason') ?? error)
  set('cost', number('treasury-cost'))
  set('currency', h.get('treasury-currency') ?? undefined)
  set('remaining', number('treasury-remaining'))
  set('topUp', number('treasury-top-up'))
  set('error', error)
  return info
}

/** Text as is when it is UTF-8, else base64. */
function encodeBody(bytes: Uint8Array): { text: string; encoding: 'utf8' | 'base64' } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf8' }
  } catch {
    let binary = ''
    for (let i = 0; i < bytes.length; i += 0x8000)
      binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
    return { text: btoa(binary), encoding: 'base64' }
  }
}
