/** Prices a request: a route's fixed amount, or what its price function says for this request. */
import { MAX_UNITS } from '@stripe402/protocol'
import type { ResolvedRoute } from './config/resolve'
import { errorMessage } from './events'
import type { PricingRequest } from './http/request'
import { redact } from './redact'

/**
 * `rejected`: the price function refused the request's input (a 4xx for the client, nothing
 * logged as an error). `failed`: the price function is broken (a 500); `reason` is safe to log.
 */
export type PriceResult =
  | { ok: true; units: number }
  | { ok: false; kind: 'rejected'; status: number; message: string; retryAfterSeconds?: number }
  | { ok: false; kind: 'failed'; reason: string }

/** A route the request may be dispatched to, and the request as that route's price function sees it. */
export interface PriceCandidate {
  route: ResolvedRoute
  request: PricingRequest
}

/**
 * Prices every route the request may reach (a path read several ways, a rewrite, a method
 * override) and keeps the dearest, so no spelling pays less than the handler that serves it.
 * The first refusal or failure wins over any price: a request is never served on a guess.
 * A price function may so run more than once for one request (once per distinct route and params).
 */
export function priceDearest(
  candidates: readonly [PriceCandidate, ...PriceCandidate[]],
): Dearest | Promise<Dearest> {
  // Nearly every request reaches one route, at a fixed price: nothing to wait for (no promise either).
  if (candidates.length === 1 && typeof candidates[0].route.amount === 'number')
    return { candidate: candidates[0], result: { ok: true, units: candidates[0].route.amount } }
  return priceEach(candidates)
}

/** The dearest candidate and its price (or the refusal or failure that won). */
export type Dearest = { candidate: PriceCandidate; result: PriceResult }

async function priceEach(
  candidates: readonly [PriceCandidate, ...PriceCandidate[]],
): Promise<Dearest> {
  const priced = await Promise.all(
    candidates.map(async (candidate) => ({
      candidate,
      result: await priceOf(candidate.route, candidate.request),
    })),
  )
  const refused = priced.find(({ result }) => !result.ok)
  if (refused) return refused
  return priced.reduce((dearest, next) =>
    next.result.ok && dearest.result.ok && next.result.units > dearest.result.units
      ? next
      : dearest,
  )
}

/** Longest rejection message sent back to the client. */
const MAX_REJECTION_MESSAGE = 300

/**
 * A price function runs the operator's code on client input, so its answer is checked
 * like input: a whole number of units from 0 to MAX_UNITS. 0 means "free this time".
 * It refuses bad input by throwing an error with a 4xx `status` (or `statusCode`, as
 * `http-errors` makes them): `throw Object.assign(new Error('size must be at most 100'), { status: 400 })`.
 * A 429 may say when to retry in `retryAfter` (seconds). Anything else it throws is a bug in the
 * server, never the client's fault.
 */
export async function priceOf(route: ResolvedRoute, request: PricingRequest): Promise<PriceResult> {
  if (typeof route.amount === 'number') return { ok: true, units: route.amount }
  let units: unknown
  try {
    units = await route.amount(request)
  } catch (error) {
    const status = clientErrorStatus(error)
    if (status !== undefined) {
      const message = redact(error instanceof Error ? error.message : String(error)).slice(
        0,
        MAX_REJECTION_MESSAGE,
      )
      const rejected = {
        ok: false,
        kind: 'rejected',
        status,
        message: message || 'The request was refused by the price of this route.',
      } as const
      const retryAfterSeconds = status === 429 ? retryAfterOf(error) : undefined
      return retryAfterSeconds === undefined ? rejected : { ...rejected, retryAfterSeconds }
    }
    return {
      ok: false,
      kind: 'failed',
      reason: `the price function of "${route.key}" threw ${errorMessage(error)}`,
    }
  }
  if (typeof units !== 'number' || !Number.isSafeInteger(units) || units < 0 || units > MAX_UNITS) {
    const shown = redact(typeof units === 'number' ? String(units) : typeof units).slice(0, 100)
    return {
      ok: false,
      kind: 'failed',
      reason: `the price function of "${route.key}" returned ${shown}, not a whole number of units from 0 to ${MAX_UNITS}`,
    }
  }
  return { ok: true, units }
}

/** The 4xx a thrown value asks for, if it is an object carrying one in `status` or `statusCode`. */
function clientErrorStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown }
  const value = typeof status === 'number' ? status : statusCode
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 400 || value > 499)
    return undefined
  // A 402 without a challenge would leave a client nothing to pay: it is a plain 400 here.
  return value === 402 ? 400 : value
}

/** Longest wait a price function may ask for, in seconds: a day. */
const MAX_RETRY_AFTER_SECONDS = 86_400

/** The `retryAfter` (seconds, a number or a numeric string) a thrown 429 carries, when it is a usable one. */
function retryAfterOf(error: unknown): number | undefined {
  const raw = (error as { retryAfter?: unknown }).retryAfter
  const seconds =
    typeof raw === 'number'
      ? raw
      : typeof raw === 'string' && raw.trim() !== ''
        ? Number(raw)
        : Number.NaN
  return Number.isFinite(seconds) && seconds > 0
    ? Math.min(Math.ceil(seconds), MAX_RETRY_AFTER_SECONDS)
    : undefined
}
