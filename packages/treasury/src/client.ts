/**
 * `createTreasuryFetch`: a `fetch` for an agent's code that pays through a treasury with the agent's
 * handle, instead of holding a card. Same signature as `fetch`. No Node-only APIs: it runs in Node,
 * browsers and edge runtimes.
 */

export interface TreasuryFetchOptions {
  /** The treasury's base URL, e.g. `https://treasury.internal:8402`. */
  url: string
  /** The agent's handle (`s402a_…`), from the admin; keep it secret like a password. */
  handle: string
  /** The `fetch` that reaches the treasury; default `globalThis.fetch`. */
  fetch?: typeof fetch
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

/** A `fetch` whose requests the treasury makes and pays for, inside the agent's caps. */
export function createTreasuryFetch(options: TreasuryFetchOptions): typeof fetch {
  const base = options.url.replace(/\/+$/, '')
  if (!/^https?:\/\//i.test(base)) throw new TypeError('createTreasuryFetch: url must be http(s)')
  if (!/^s402a_\S+$/.test(options.handle))
    throw new TypeError('createTreasuryFetch: handle must be an agent handle (s402a_…)')
  const send = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init)
    const headers: Record<string, string> = {}
    request.headers.forEach((value, name) => {
      headers[name] = value
    })
    const bytes = request.body === null ? undefined : new Uint8Array(await request.arrayBuffer())
    const body = bytes === undefined ? undefined : encodeBody(bytes)
    return send(`${base}/v1/fetch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.handle}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        method: request.method,
        url: request.url,
        headers,
        ...(body ? { body: body.text, bodyEncoding: body.encoding } : {}),
      }),
      ...(init?.signal ? { signal: init.signal } : {}),
    })
  }
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
