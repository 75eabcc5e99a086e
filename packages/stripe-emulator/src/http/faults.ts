/** Injected faults for reliability tests: latency, error statuses, hangs, dropped connections, lost responses. */

export interface FaultSpec {
  /** Only this HTTP method (any when absent). */
  method?: string
  /** The request path (`/v1/payment_intents`): a string matches exactly, a RegExp is tested against it. */
  path: string | RegExp
  /** How many matching requests the fault applies to; default 1. `Infinity` for all. */
  times?: number
  /** Answer with this status and a Stripe-shaped error body (429 adds `Stripe-Should-Retry: true`). */
  status?: number
  /** Never answer: the client runs into its own timeout. */
  hang?: boolean
  /** Destroy the connection without an answer. */
  drop?: boolean
  /** Wait this long first. */
  latencyMs?: number
  /**
   * Run the request for real (state changes, charges happen) and only then fail the answer:
   * with `drop` or `hang`, or with `status` (default 500). Simulates "Stripe charged, the response was lost".
   * A 5xx here is what the endpoint answered once it had begun, so, as on Stripe, it is saved for the
   * request's Idempotency-Key and replayed to every retry with that key; a drop or hang loses only the
   * answer, and a retry gets the real one.
   */
  afterResponse?: boolean
  /**
   * With a 5xx `status`: the endpoint began and failed before changing anything. As on Stripe, that
   * error is saved for the request's Idempotency-Key and replayed to every retry with it, so a retry
   * with the same key never runs the request.
   */
  savedError?: boolean
}

export interface ActiveFault extends FaultSpec {
  remaining: number
}

export class FaultRegistry {
  private faults: ActiveFault[] = []

  add(spec: FaultSpec): void {
    const times = spec.times ?? 1
    if (!(times >= 1)) throw new Error('fault.times must be at least 1')
    const kinds = [spec.status !== undefined, spec.hang === true, spec.drop === true].filter(
      Boolean,
    ).length
    if (kinds > 1) throw new Error('a fault can have only one of status, hang and drop')
    if (
      spec.status !== undefined &&
      (!Number.isInteger(spec.status) || spec.status < 100 || spec.status > 599)
    ) {
      throw new Error(`fault.status must be an HTTP status, got ${spec.status}`)
    }
    if (kinds === 0 && !spec.afterResponse && spec.latencyMs === undefined) {
      throw new Error('a fault needs one of status, hang, drop, latencyMs or afterResponse')
    }
    if (spec.savedError && (spec.afterResponse || spec.status === undefined || spec.status < 500)) {
      throw new Error('fault.savedError needs a 5xx status and no afterResponse')
    }
    this.faults.push({ ...spec, remaining: times })
  }

  /** The first fault matching the request, counting one use of it. */
  take(method: string, path: string): ActiveFault | undefined {
    const index = this.faults.findIndex(
      (f) =>
        (f.method === undefined || f.method.toUpperCase() === method) &&
        (typeof f.path === 'string' ? f.path === path : f.path.test(path)),
    )
    if (index === -1) return undefined
    const fault = this.faults[index] as ActiveFault
    fault.remaining--
    if (fault.remaining <= 0) this.faults.splice(index, 1)
    return fault
  }

  clear(): void {
    this.faults = []
  }
}

/** Body and headers Stripe sends for an error status. */
export function faultResponse(status: number): { body: unknown; headers: Record<string, string> } {
  if (status === 429) {
    return {
      body: {
        error: {
          code: 'rate_limit',
          doc_url: 'https://stripe.com/docs/error-codes/rate-limit',
          message:
            'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
          type: 'invalid_request_error',
        },
      },
      headers: { 'Stripe-Should-Retry': 'true' },
    }
  }
  if (status === 409) {
    return {
      body: {
        error: {
          code: 'lock_timeout',
          doc_url: 'https://stripe.com/docs/error-codes/lock-timeout',
          message:
            'This object cannot be accessed right now because another API request or Stripe process is currently accessing it. Please try again in a moment.',
          type: 'invalid_request_error',
        },
      },
      headers: { 'Stripe-Should-Retry': 'true' },
    }
  }
  if (status >= 500)
    return {
      body: { error: { message: 'An unknown error occurred', type: 'api_error' } },
      headers: {},
    }
  return {
    body: { error: { message: `Injected fault: HTTP ${status}`, type: 'invalid_request_error' } },
    headers: {},
  }
}

const FAULT_FIELDS = new Set([
  'method',
  'path',
  'pathPattern',
  'times',
  'status',
  'hang',
  'drop',
  'latencyMs',
  'afterResponse',
  'savedError',
])

/**
 * A FaultSpec from the body of `POST /_emulator/faults` (JSON, or form fields whose values are
 * strings): `path` matches exactly, `pathPattern` is a RegExp source; booleans may be `"true"`,
 * numbers may be numeric strings, `times` may be `"Infinity"`. Throws on anything else.
 */
export function faultSpecOf(raw: unknown): FaultSpec {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new Error('the fault must be an object')
  const fields = raw as Record<string, unknown>
  for (const key of Object.keys(fields))
    if (!FAULT_FIELDS.has(key)) throw new Error(`unknown fault field: ${key}`)
  const text = (key: string): string | undefined => {
    const value = fields[key]
    if (value === undefined) return undefined
    if (typeof value !== 'string' || value === '') throw new Error(`fault.${key} must be a string`)
    return value
  }
  const flag = (key: string): boolean | undefined => {
    const value = fields[key]
    if (value === undefined) return undefined
    if (value === true || value === 'true') return true
    if (value === false || value === 'false') return false
    throw new Error(`fault.${key} must be true or false`)
  }
  const number = (key: string): number | undefined => {
    const value = fields[key]
    if (value === undefined) return undefined
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
    if (typeof n !== 'number' || Number.isNaN(n)) throw new Error(`fault.${key} must be a number`)
    if (n !== Number.POSITIVE_INFINITY && !Number.isInteger(n))
      throw new Error(`fault.${key} must be an integer`)
    return n
  }
  const path = text('path')
  const pattern = text('pathPattern')
  if ((path === undefined) === (pattern === undefined))
    throw new Error('a fault needs exactly one of path and pathPattern')
  let matcher: string | RegExp
  if (pattern !== undefined) {
    try {
      matcher = new RegExp(pattern)
    } catch {
      throw new Error(`fault.pathPattern is not a regular expression: ${pattern}`)
    }
  } else {
    matcher = path as string
  }
  const latencyMs = number('latencyMs')
  if (latencyMs !== undefined && !(latencyMs >= 0 && Number.isFinite(latencyMs)))
    throw new Error('fault.latencyMs must be a finite number of milliseconds')
  const spec: FaultSpec = { path: matcher }
  const method = text('method')
  if (method !== undefined) spec.method = method.toUpperCase()
  const times = number('times')
  if (times !== undefined) spec.times = times
  const status = number('status')
  if (status !== undefined) spec.status = status
  if (latencyMs !== undefined) spec.latencyMs = latencyMs
  for (const key of ['hang', 'drop', 'afterResponse', 'savedError'] as const) {
    const value = flag(key)
    if (value !== undefined) spec[key] = value
  }
  return spec
}

/** A FaultSpec as JSON (a RegExp path as its source in `pathPattern`). */
export function faultJson(spec: FaultSpec): Record<string, unknown> {
  const { path, times, ...rest } = spec
  return {
    object: 'emulator.fault',
    ...(typeof path === 'string' ? { path } : { pathPattern: path.source }),
    times: times === undefined ? 1 : Number.isFinite(times) ? times : 'Infinity',
    ...rest,
  }
}
