/** Delivers events to webhook endpoints in the background, signed like Stripe, retrying with backoff. */
import http, { type ClientRequest } from 'node:http'
import https from 'node:https'
import { DEFAULT_WEBHOOK_EVENTS, type StripeEvent } from './events'
import { signWebhookPayload } from './signature'

export interface WebhookEndpoint {
  url: string
  /** The signing secret (`whsec_…`) the receiver passes to `stripe.webhooks.constructEvent`. */
  secret: string
  /** Event types to receive; `['*']` for all. Defaults to DEFAULT_WEBHOOK_EVENTS. */
  events?: readonly string[]
  /** Only events of this account (the `<x>` of `sk_test_<x>`); all accounts when absent. */
  account?: string
}

export interface WebhookDelivery {
  /** The event id (`evt_…`). */
  id: string
  type: string
  url: string
  attempts: number
  delivered: boolean
  /** Still being attempted or waiting for a retry. */
  pending: boolean
  /** HTTP status of the last attempt, null when the receiver could not be reached. */
  lastStatus: number | null
  lastError: string | null
}

/** Stripe retries for days; the emulator compresses that into a few hundred milliseconds. */
export interface WebhookRetryPolicy {
  /** Attempts in all, the first included. Default 6. */
  attempts: number
  /** Delay before the first retry; doubles each time (50, 100, 200, 400, 800 ms). */
  baseDelayMs: number
  /** How long one attempt may take before it counts as failed. */
  timeoutMs: number
}

export const DEFAULT_RETRY_POLICY: WebhookRetryPolicy = {
  attempts: 6,
  baseDelayMs: 50,
  timeoutMs: 2_000,
}

interface Sleeper {
  timer: NodeJS.Timeout
  resolve: () => void
}

/** One POST; resolves with the status, or with an error message when there was no HTTP answer. */
function post(
  url: string,
  payload: string,
  signature: string,
  timeoutMs: number,
  track: (req: ClientRequest) => () => void,
): Promise<{ status: number | null; error: string | null }> {
  return new Promise((resolve) => {
    let target: URL
    try {
      target = new URL(url)
    } catch {
      resolve({ status: null, error: `invalid URL ${url}` })
      return
    }
    const client = target.protocol === 'https:' ? https : http
    const req = client.request(
      target,
      {
        method: 'POST',
        // No keep-alive: a receiver's server.close() must not wait on the emulator's idle sockets.
        agent: false,
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': Buffer.byteLength(payload),
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'Cache-Control': 'no-cache',
          Accept: '*/*; q=0.5, application/xml',
          Connection: 'close',
          'Stripe-Signature': signature,
        },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve({ status: res.statusCode ?? null, error: null }))
        res.on('error', (e) => resolve({ status: res.statusCode ?? null, error: e.message }))
      },
    )
    const untrack = track(req)
    req.on('close', untrack)
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timed out after ${timeoutMs}ms`)))
    req.on('error', (e) => resolve({ status: null, error: e.message }))
    req.end(payload)
  })
}

export class WebhookDispatcher {
  private endpoints: WebhookEndpoint[] = []
  private readonly initialEndpoints: WebhookEndpoint[]
  private deliveries: WebhookDelivery[] = []
  private inflight = new Set<Promise<void>>()
  private readonly sleepers = new Set<Sleeper>()
  private readonly requests = new Set<ClientRequest>()
  /** Bumped by reset() so that attempts already under way stop instead of writing into the new state. */
  private generation = 0

  constructor(
    endpoints: readonly WebhookEndpoint[],
    private readonly policy: WebhookRetryPolicy,
  ) {
    for (const endpoint of endpoints) this.addEndpoint(endpoint)
    this.initialEndpoints = [...this.endpoints]
  }

  addEndpoint(endpoint: WebhookEndpoint): void {
    new URL(endpoint.url) // fail early on a malformed URL
    if (!endpoint.secret) throw new Error('A webhook endpoint needs a signing secret')
    this.endpoints.push({ ...endpoint })
  }

  private targets(account: string, type: string): WebhookEndpoint[] {
    return this.endpoints.filter((e) => {
      if (e.account !== undefined && e.account !== account) return false
      const events = e.events ?? DEFAULT_WEBHOOK_EVENTS
      return events.includes('*') || events.includes(type)
    })
  }

  /** How many endpoints will receive an event: the event's `pending_webhooks`. */
  countTargets(account: string, type: string): number {
    return this.targets(account, type).length
  }

  dispatch(account: string, event: StripeEvent): void {
    for (const endpoint of this.targets(account, event.type)) {
      const record: WebhookDelivery = {
        id: event.id,
        type: event.type,
        url: endpoint.url,
        attempts: 0,
        delivered: false,
        pending: true,
        lastStatus: null,
        lastError: null,
      }
      this.deliveries.push(record)
      const inflight = this.inflight
      const task: Promise<void> = this.run(endpoint, event, record).finally(() =>
        inflight.delete(task),
      )
      inflight.add(task)
    }
  }

  private async run(
    endpoint: WebhookEndpoint,
    event: StripeEvent,
    record: WebhookDelivery,
  ): Promise<void> {
    const generation = this.generation
    // Stripe sends pretty-printed JSON; the signature covers these exact bytes.
    const payload = JSON.stringify(event, null, 2)
    // Let the API answer go out first: deliveries never block the request that caused them.
    await this.sleep(0)
    for (let attempt = 1; attempt <= this.policy.attempts; attempt++) {
      if (generation !== this.generation) return
      record.attempts = attempt
      // A fresh timestamp and signature per attempt, as Stripe does on retries.
      const result = await post(
        endpoint.url,
        payload,
        signWebhookPayload(payload, endpoint.secret),
        this.policy.timeoutMs,
        (req) => {
          this.requests.add(req)
          return () => this.requests.delete(req)
        },
      )
      if (generation !== this.generation) return
      record.lastStatus = result.status
      record.lastError =
        result.error ??
        (result.status !== null && (result.status < 200 || result.status > 299)
          ? `HTTP ${result.status}`
          : null)
      if (result.status !== null && result.status >= 200 && result.status <= 299) {
        record.delivered = true
        break
      }
      if (attempt < this.policy.attempts)
        await this.sleep(this.policy.baseDelayMs * 2 ** (attempt - 1))
    }
    record.pending = false
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper: Sleeper = {
        timer: setTimeout(() => {
          this.sleepers.delete(sleeper)
          resolve()
        }, ms),
        resolve,
      }
      this.sleepers.add(sleeper)
    })
  }

  list(): WebhookDelivery[] {
    return this.deliveries.map((d) => ({ ...d }))
  }

  /** Resolves when every delivery so far has been delivered or given up. */
  async flush(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight])
  }

  /** Abandons deliveries under way (aborting their requests); their records stay, no longer pending. */
  stop(): void {
    this.generation++
    // flush() must not wait for work that no longer counts.
    this.inflight = new Set()
    for (const req of this.requests) req.destroy()
    this.requests.clear()
    for (const sleeper of this.sleepers) {
      clearTimeout(sleeper.timer)
      sleeper.resolve()
    }
    this.sleepers.clear()
    for (const delivery of this.deliveries) delivery.pending = false
  }

  /** Forgets deliveries, abandons the ones under way, and goes back to the endpoints given at start. */
  reset(): void {
    this.stop()
    this.deliveries = []
    this.endpoints = [...this.initialEndpoints]
  }
}
