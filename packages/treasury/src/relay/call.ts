/** One agent call: hold the most it may cost, follow it through its redirects with the paying engine, settle to its cost. */
import { randomUUID } from 'node:crypto'
import { type ApprovalContext, getPaymentInfo } from '@stripe402/client'
import { decodePaymentPayload, HEADERS } from '@stripe402/protocol'
import { originMatcher } from '../agents/origins'
import { TreasuryError } from '../errors'
import {
  type AgentRecord,
  type CallOutcome,
  type Settlement,
  StoreUnavailableError,
  type TopUp,
  type TreasuryStore,
} from '../store/types'
import type { Engine } from './engine'
import { type CallScope, withScope } from './scope'
import { RelayError, type TransportOptions } from './transport'

export interface RelayRequest {
  method: string
  url: string
  headers: Headers
  body: Uint8Array<ArrayBuffer> | undefined
  /** The most this call may cost (units, any currency): below the caps, it is what the call may spend. */
  maxPrice?: number
}

export interface CallDeps {
  engine: Engine
  store: TreasuryStore
  now: () => number
  transport: (url: string, init: RequestInit, options: TransportOptions) => Promise<Response>
  timeoutMs: number
  /** The currency of the credential the engine holds for an origin, when it knows. */
  creditCurrency: (origin: string) => Promise<string | undefined>
  /** Reports a failure that must not change the agent's answer (a settle that could not be saved). */
  onError: (message: string, error: unknown) => void
}

export interface CallResult {
  callId: string
  /** The upstream's last answer, body unread. */
  response: Response
  outcome: CallOutcome
  reason?: string
  cost: Record<string, number>
  topUps: TopUp[]
}

const MAX_HOPS = 5
const REDIRECTS = new Set([301, 302, 303, 307, 308])
/** Dropped when a redirect changes origin, as fetch drops them. */
const CROSS_ORIGIN_DROPPED = ['authorization', 'proxy-authorization', 'cookie']
const BODY_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-location',
]

export async function relayCall(
  deps: CallDeps,
  agent: AgentRecord,
  request: RelayRequest,
): Promise<CallResult> {
  const call = new AgentCall(deps, agent)
  const target = new URL(request.url)
  call.checkOrigin(target.origin)
  const callId = randomUUID()
  const reserved = await deps.store.reserve({
    agentId: agent.id,
    callId,
    at: deps.now(),
    method: request.method,
    origin: target.origin,
    route: `${request.method} ${target.pathname}`,
  })
  if (!reserved.ok) {
    if (reserved.reason === 'unknown_agent')
      throw new TreasuryError('unauthorized', 'The handle is not valid.')
    throw new TreasuryError(
      reserved.reason,
      `This agent is ${reserved.reason === 'agent_revoked' ? 'revoked' : 'expired'}.`,
    )
  }
  call.hold(
    request.maxPrice === undefined
      ? reserved.held
      : Object.fromEntries(
          Object.entries(reserved.held).map(([currency, units]) => [
            currency,
            Math.min(units, request.maxPrice as number),
          ]),
        ),
  )
  let response: Response
  try {
    response = await call.follow(request)
  } catch (error) {
    const failure = asTreasuryError(error)
    await settle(deps, callId, call.settlement(null, 'error', failure.code, true))
    throw failure
  }
  const { outcome, reason } = call.verdict()
  await settle(deps, callId, call.settlement(response.status, outcome, reason, false))
  return {
    callId,
    response,
    outcome,
    ...(reason ? { reason } : {}),
    cost: call.cost,
    topUps: call.topUps,
  }
}

/** A settle that fails leaves the hold in place (counted at most), so the answer still goes out. */
async function settle(deps: CallDeps, callId: string, settlement: Settlement): Promise<void> {
  try {
    await deps.store.settle(callId, settlement)
  } catch (error) {
    deps.onError(`could not settle call ${callId}; its hold stays counted`, error)
  }
}

function asTreasuryError(error: unknown): TreasuryError {
  if (error instanceof TreasuryError) return error
  if (error instanceof RelayError)
    return new TreasuryError(error.code, error.message, { cause: error })
  // The store failed under the engine (its wallet): nothing may be paid without it.
  const code = (error as { code?: unknown } | undefined)?.code
  if (error instanceof StoreUnavailableError || code === 'store_unavailable')
    return new TreasuryError(
      'store_unavailable',
      'The treasury cannot reach its store; try again.',
      {
        cause: error,
      },
    )
  // Anything else says nothing of itself: its message is not ours to vouch for.
  return new TreasuryError('upstream_unreachable', 'The request failed before an answer came.', {
    cause: error,
  })
}

class AgentCall implements CallScope {
  readonly cost: Record<string, number> = {}
  readonly topUps: TopUp[] = []
  private left: Record<string, number> = {}
  private readonly allowed: (origin: string) => boolean
  /** Why `approve` said no, in the treasury's words. */
  private refusal: string | undefined
  /** The currency of the price `approve` last allowed: a top-up's payload is in it. */
  private approved: string | undefined
  /** A payment sent and not yet answered: what it may have cost if the answer never comes. */
  private exposure: { currency: string; units: number } | undefined
  private last: ReturnType<typeof getPaymentInfo>

  constructor(
    private readonly deps: CallDeps,
    private readonly agent: AgentRecord,
  ) {
    this.allowed = originMatcher(agent.allowedOrigins)
  }

  hold(held: Record<string, number>): void {
    this.left = { ...held }
  }

  checkOrigin(
    origin: string,
    code: 'origin_not_allowed' | 'redirect_not_allowed' = 'origin_not_allowed',
  ): void {
    if (origin !== this.deps.engine.stripeOrigin && this.allowed(origin)) return
    throw new TreasuryError(code, `${origin} is not on this agent's allowed origins.`)
  }

  approve(context: ApprovalContext): boolean {
    const { currency, amount } = context.requirements
    const left = this.left[currency]
    if (left === undefined) {
      this.refusal = 'currency_not_allowed'
      return false
    }
    if (amount > left) {
      this.refusal = 'cap_reached'
      return false
    }
    this.approved = currency
    return true
  }

  async send(url: string, init: RequestInit): Promise<Response> {
    this.checkOrigin(new URL(url).origin)
    const headers = new Headers(init.headers)
    const header = headers.get(HEADERS.PAYMENT)
    let exposure: { currency: string; units: number } | undefined
    if (header !== null) {
      const payload = decodePaymentPayload(header)
      const currency =
        payload.paymentMethodId !== undefined
          ? this.approved
          : await this.deps.creditCurrency(new URL(url).origin)
      const ceiling = currency !== undefined ? (this.left[currency] ?? 0) : this.smallestLeft()
      if (payload.maxAmount === undefined || payload.maxAmount > ceiling) {
        // Credits offered up to more than this call may cost: sent without them, the server names
        // its price and `approve` judges it. Never a blank check, whatever the server honours.
        headers.delete(HEADERS.PAYMENT)
      } else {
        exposure = { currency: currency ?? this.firstCurrency(), units: payload.maxAmount }
      }
    }
    this.exposure = exposure
    const response = await this.deps.transport(
      url,
      { ...init, headers },
      { allowPrivate: this.agent.allowPrivateNetwork, timeoutMs: this.deps.timeoutMs },
    )
    this.exposure = undefined
    return response
  }

  /** Sends the request, and each redirect it meets after checking where it leads. */
  async follow(request: RelayRequest): Promise<Response> {
    let { url, method, body } = request
    const headers = new Headers(request.headers)
    for (let hop = 0; ; hop++) {
      const response = await withScope(this, () =>
        this.deps.engine.pay(url, {
          method,
          headers,
          ...(body ? { body } : {}),
          redirect: 'manual',
        }),
      )
      this.account(response)
      const location = REDIRECTS.has(response.status) ? response.headers.get('location') : null
      if (location === null) return response
      await response.body?.cancel().catch(() => {})
      if (hop >= MAX_HOPS)
        throw new TreasuryError(
          'too_many_redirects',
          `More than ${MAX_HOPS} redirects from ${request.url}.`,
        )
      let next: URL
      try {
        next = new URL(location, url)
      } catch {
        throw new TreasuryError('upstream_unreachable', `${url} redirects to an invalid URL.`)
      }
      this.checkOrigin(next.origin, 'redirect_not_allowed')
      const status = response.status
      if (
        (status === 303 && method !== 'GET' && method !== 'HEAD') ||
        ((status === 301 || status === 302) && method === 'POST')
      ) {
        method = 'GET'
        body = undefined
        for (const name of BODY_HEADERS) headers.delete(name)
      }
      if (next.origin !== new URL(url).origin)
        for (const name of CROSS_ORIGIN_DROPPED) headers.delete(name)
      url = next.href
    }
  }

  /** How the call ended: paid if any hop paid, else the last hop's outcome; a refusal in the treasury's words. */
  verdict(): { outcome: CallOutcome; reason?: string } {
    if (Object.keys(this.cost).length > 0) return { outcome: 'paid' }
    const info = this.last
    if (!info || info.outcome === 'none') return { outcome: 'none' }
    const reason =
      info.outcome === 'refused' && info.reason === 'not_approved' ? this.refusal : info.reason
    return { outcome: info.outcome, ...(reason ? { reason } : {}) }
  }

  settlement(
    status: number | null,
    outcome: CallOutcome,
    reason: string | undefined,
    failed: boolean,
  ): Settlement {
    const cost = { ...this.cost }
    // No answer to a payment that went out: it may have been debited, up to its ceiling.
    if (failed && this.exposure) {
      const { currency, units } = this.exposure
      cost[currency] = (cost[currency] ?? 0) + units
    }
    return {
      at: this.deps.now(),
      status,
      outcome,
      ...(reason ? { reason } : {}),
      cost,
      topUps: this.topUps,
    }
  }

  private account(response: Response): void {
    const info = getPaymentInfo(response)
    this.last = info
    if (!info) return
    const currency = info.currency ?? info.requirements?.currency ?? this.approved
    if (
      info.outcome === 'paid' &&
      currency !== undefined &&
      info.amount !== undefined &&
      info.amount > 0
    ) {
      this.cost[currency] = (this.cost[currency] ?? 0) + info.amount
      this.left[currency] = Math.max(0, (this.left[currency] ?? 0) - info.amount)
    }
    if (info.topUp && currency !== undefined) {
      this.topUps.push({
        origin: info.origin,
        currency,
        units: info.topUp.units,
        ...(info.topUp.chargeId ? { chargeId: info.topUp.chargeId } : {}),
      })
    }
  }

  private smallestLeft(): number {
    const values = Object.values(this.left)
    return values.length === 0 ? 0 : Math.min(...values)
  }

  private firstCurrency(): string {
    return Object.keys(this.left)[0] ?? 'usd'
  }
}
