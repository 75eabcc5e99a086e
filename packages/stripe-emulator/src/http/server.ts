/** The HTTP side: reads a request, authenticates it, applies idempotency and faults, runs the handler, answers like Stripe. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:http'
import type { RequestContext } from '../api/context'
import { completeAuthentication } from '../api/payment-flow'
import type { Core } from '../core'
import { ApiError, apiError, invalidRequest } from '../errors'
import { newRequestId } from '../ids'
import { isKnownVersion, KNOWN_STRIPE_API_VERSIONS, STRIPE_API_VERSION } from './versions'
import { authenticationError, extractKey, parseKey, publishableKeyError } from './auth'
import {
  faultJson,
  faultResponse,
  faultSpecOf,
  type ActiveFault,
  type FaultRegistry,
} from './faults'
import { parseForm, type FormObject } from './form'
import { beginIdempotent, type IdempotencyOutcome } from './idempotency'
import { matchRoute } from './routes'

export interface RequestLogEntry {
  method: string
  path: string
  /** The account named by the key (even if the key was refused for the route), null without a valid key. */
  account: string | null
  /** HTTP status answered; 0 when the connection was dropped or left hanging. */
  status: number
  /** Date.now() when the request arrived. */
  at: number
  requestId: string
  idempotencyKey: string | null
  /** True when the answer was an idempotent replay. */
  replayed: boolean
  /** The `Stripe-Version` the request sent, or null when it sent none. */
  apiVersion: string | null
}

export interface ServerDeps {
  core: Core
  faults: FaultRegistry
  log: RequestLogEntry[]
  /** Added to every request. */
  latencyMs: number
  /** Entries kept in the log (up to 10% more before a trim); the oldest go first. */
  logLimit: number
}

interface Reply {
  status: number
  body: string
  headers: Record<string, string>
}

const MAX_BODY_BYTES = 1024 * 1024

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body: `${JSON.stringify(body, null, 2)}\n`, headers }
}

function errorReply(error: ApiError): Reply {
  return json(error.status, { error: error.body })
}

/** An injected error status as Stripe would answer it. */
function faultReply(status: number): Reply {
  const { body, headers } = faultResponse(status)
  return json(status, body, headers)
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        resolve(null)
        req.resume()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () =>
      resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8')),
    )
    req.on('error', reject)
  })
}

/** CORS as on api.stripe.com, so that browsers can tokenize with the publishable key. */
function corsHeaders(req: IncomingMessage): Record<string, string> {
  return {
    'Access-Control-Allow-Origin':
      typeof req.headers.origin === 'string' ? req.headers.origin : '*',
    'Access-Control-Allow-Credentials': 'true',
    'Access-Control-Allow-Methods': 'GET, POST, HEAD, OPTIONS, DELETE',
    'Access-Control-Allow-Headers':
      'Authorization, Content-Type, Idempotency-Key, Stripe-Account, Stripe-Version, User-Agent, X-Stripe-Client-User-Agent',
    'Access-Control-Expose-Headers':
      'Request-Id, Stripe-Manage-Version, Stripe-Should-Retry, X-Stripe-External-Auth-Required, X-Stripe-Privileged-Session-Required',
    'Access-Control-Max-Age': '300',
  }
}

export interface ApiServer {
  server: Server
  /** Destroys connections left open by `hang` faults. */
  destroyHanging(): void
}

export function createApiServer(deps: ServerDeps): ApiServer {
  const hanging = new Set<ServerResponse>()

  function send(
    res: ServerResponse,
    entry: RequestLogEntry,
    reply: Reply,
    base: Record<string, string>,
  ): void {
    entry.status = reply.status
    const headers = {
      ...base,
      ...reply.headers,
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(reply.body)),
    }
    res.writeHead(reply.status, headers)
    res.end(reply.body)
  }

  function applyFailure(
    req: IncomingMessage,
    res: ServerResponse,
    entry: RequestLogEntry,
    fault: ActiveFault,
    base: Record<string, string>,
  ): void {
    if (fault.hang) {
      // Keep the socket open without answering; close() destroys it.
      hanging.add(res)
      res.on('close', () => hanging.delete(res))
      return
    }
    if (fault.drop) {
      req.socket.destroy()
      return
    }
    send(res, entry, faultReply(fault.status ?? 500), base)
  }

  /** Test-mode pages that are not part of the REST API (no key needed), like Stripe's hosted 3-D Secure page. */
  function control(
    url: URL,
    res: ServerResponse,
    entry: RequestLogEntry,
    base: Record<string, string>,
    request: { method: string; body: string | null; contentType: string },
  ): void {
    if (url.pathname === '/_emulator/faults') {
      faultsControl(res, entry, base, request)
      return
    }
    const match = /^\/_emulator\/3ds\/([^/]+)\/(pi_[A-Za-z0-9]+)$/.exec(url.pathname)
    const account = match
      ? deps.core.accounts.get(decodeURIComponent(match[1] as string))
      : undefined
    const pi = match && account ? account.paymentIntents.get(match[2] as string) : undefined
    if (!account || !pi) {
      send(
        res,
        entry,
        json(404, {
          error: {
            type: 'invalid_request_error',
            message: `Unknown emulator page: ${url.pathname}`,
          },
        }),
        base,
      )
      return
    }
    if (pi.status === 'requires_action') {
      const succeed = url.searchParams.get('outcome') !== 'fail'
      completeAuthentication(
        { core: deps.core, account, request: { id: entry.requestId, idempotency_key: null } },
        pi,
        succeed,
      )
    }
    const returnUrl = account.intentExtras.get(pi.id)?.returnUrl
    if (returnUrl) {
      const target = new URL(returnUrl)
      target.searchParams.set('payment_intent', pi.id)
      target.searchParams.set('payment_intent_client_secret', pi.client_secret)
      target.searchParams.set('redirect_status', pi.status === 'succeeded' ? 'succeeded' : 'failed')
      entry.status = 302
      res.writeHead(302, { ...base, Location: target.toString() })
      res.end()
      return
    }
    send(res, entry, json(200, { id: pi.id, status: pi.status }), base)
  }

  /**
   * `POST /_emulator/faults` adds a fault as `inject()` does (JSON or form body), for a test in
   * another process; `DELETE /_emulator/faults` clears them all, as `clearFaults()`.
   */
  function faultsControl(
    res: ServerResponse,
    entry: RequestLogEntry,
    base: Record<string, string>,
    request: { method: string; body: string | null; contentType: string },
  ): void {
    const invalid = (message: string, status = 400) =>
      send(res, entry, json(status, { error: { type: 'invalid_request_error', message } }), base)
    if (request.method === 'DELETE') {
      deps.faults.clear()
      send(res, entry, json(200, { object: 'emulator.faults', cleared: true }), base)
      return
    }
    if (request.method !== 'POST') {
      invalid(`${request.method} is not allowed on /_emulator/faults (POST or DELETE).`, 405)
      return
    }
    if (request.body === null) {
      invalid('Request body too large.', 413)
      return
    }
    try {
      const text = request.body.trim()
      const raw: unknown =
        request.contentType.includes('json') || text.startsWith('{')
          ? JSON.parse(text)
          : parseForm(text)
      const spec = faultSpecOf(raw)
      deps.faults.add(spec)
      send(res, entry, json(200, faultJson(spec)), base)
    } catch (error) {
      invalid(`Invalid fault: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId()
    const url = new URL(req.url ?? '/', 'http://emulator.invalid')
    const method = (req.method ?? 'GET').toUpperCase()
    const path = url.pathname
    const idempotencyKey =
      method === 'POST' && typeof req.headers['idempotency-key'] === 'string'
        ? req.headers['idempotency-key']
        : null
    const asked =
      typeof req.headers['stripe-version'] === 'string' ? req.headers['stripe-version'] : undefined
    const version = asked !== undefined && isKnownVersion(asked) ? asked : STRIPE_API_VERSION
    const base: Record<string, string> = {
      ...corsHeaders(req),
      'Request-Id': requestId,
      'Stripe-Version': version,
      'Cache-Control': 'no-cache, no-store',
    }
    if (idempotencyKey !== null) base['Idempotency-Key'] = idempotencyKey

    if (method === 'OPTIONS') {
      res.writeHead(204, base)
      res.end()
      return
    }
    const body = await readBody(req)
    const key = extractKey(req.headers.authorization)
    const credentials = parseKey(key)
    const entry: RequestLogEntry = {
      method,
      path,
      account: credentials?.account ?? null,
      status: 0,
      at: Date.now(),
      requestId,
      idempotencyKey,
      replayed: false,
      apiVersion: asked ?? null,
    }
    deps.log.push(entry)
    // A long-running emulator (CLI, benchmarks) must not grow without bound.
    // Trimmed in batches so that a full log does not cost a copy per request.
    if (deps.log.length > deps.logLimit + Math.ceil(deps.logLimit / 10))
      deps.log.splice(0, deps.log.length - deps.logLimit)
    if (deps.latencyMs > 0) await sleep(deps.latencyMs)
    if (path.startsWith('/_emulator/')) {
      control(url, res, entry, base, {
        method,
        body,
        contentType: String(req.headers['content-type'] ?? ''),
      })
      return
    }

    // Work out what the answer would be; nothing runs yet, so that faults can still prevent it.
    let plan:
      | { reply: Reply }
      | {
          run: () => { reply: Reply; saved: boolean }
          idempotency?: Extract<IdempotencyOutcome, { kind: 'proceed' }>
        }
    try {
      if (body === null) throw invalidRequest('Request body too large.', undefined, undefined, 413)
      if (!credentials) throw authenticationError(key)
      if (asked !== undefined && !isKnownVersion(asked)) {
        throw invalidRequest(
          `Invalid Stripe API version: ${asked}. The Stripe emulator knows ${KNOWN_STRIPE_API_VERSIONS.join(', ')}.`,
        )
      }
      const match = matchRoute(method, path)
      if (!match) {
        throw invalidRequest(
          `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
          undefined,
          undefined,
          404,
        )
      }
      if (credentials.kind === 'publishable' && !match.route.publishable)
        throw publishableKeyError()
      const params: FormObject = parseForm(method === 'POST' ? body : url.search)
      const account = deps.core.account(credentials.account)
      const ctx: RequestContext = {
        core: deps.core,
        account,
        params,
        path: match.path,
        request: { id: requestId, idempotency_key: idempotencyKey },
        keyKind: credentials.kind,
        version,
        clientIp: req.socket.remoteAddress ?? null,
      }
      const outcome =
        idempotencyKey !== null
          ? beginIdempotent(account.idempotency, idempotencyKey, `${method} ${path}`, params)
          : null
      if (outcome?.kind === 'replay') {
        const stored = outcome.response
        entry.replayed = true
        plan = {
          reply: {
            status: stored.status,
            body: stored.body,
            headers: { 'Idempotent-Replayed': 'true', 'Original-Request': stored.requestId },
          },
        }
      } else if (outcome?.kind === 'error') {
        plan = { reply: errorReply(outcome.error) }
      } else {
        plan = {
          run: () => {
            try {
              return { reply: json(200, match.route.handler(ctx)), saved: true }
            } catch (error) {
              if (error instanceof ApiError)
                return { reply: errorReply(error), saved: error.savedForIdempotency }
              const message = error instanceof Error ? error.message : String(error)
              return {
                reply: errorReply(apiError(`An unknown error occurred (emulator: ${message})`)),
                saved: false,
              }
            }
          },
        }
        if (outcome) plan.idempotency = outcome
      }
    } catch (error) {
      plan = { reply: errorReply(error instanceof ApiError ? error : apiError()) }
    }

    const fault = deps.faults.take(method, path)
    if (fault && !fault.afterResponse) {
      if (fault.latencyMs) await sleep(fault.latencyMs)
      if (fault.savedError && 'run' in plan) {
        // The endpoint began and failed before doing anything: its 5xx is the key's answer from now on.
        const failed = faultReply(fault.status ?? 500)
        plan.idempotency?.save({ status: failed.status, body: failed.body, requestId })
        send(res, entry, failed, base)
        return
      }
      if (fault.hang || fault.drop || fault.status !== undefined) {
        // The endpoint never ran: an idempotency key in use is free again.
        if ('run' in plan) plan.idempotency?.release()
        applyFailure(req, res, entry, fault, base)
        return
      }
    }
    let reply: Reply
    if ('run' in plan) {
      const ran = plan.run()
      reply = ran.reply
      if (ran.saved) plan.idempotency?.save({ status: reply.status, body: reply.body, requestId })
      else plan.idempotency?.release()
    } else {
      reply = plan.reply
    }
    if (fault?.afterResponse) {
      if (fault.latencyMs) await sleep(fault.latencyMs)
      if (fault.hang || fault.drop) {
        applyFailure(req, res, entry, fault, base)
        return
      }
      // What the endpoint answered once it had begun, 5xx included, is what Stripe keeps for the key.
      const failed = faultReply(fault.status ?? 500)
      if ('run' in plan && failed.status >= 500)
        plan.idempotency?.save({ status: failed.status, body: failed.body, requestId })
      send(res, entry, failed, base)
      return
    }
    send(res, entry, reply, base)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        const reply = errorReply(
          apiError(
            `An unknown error occurred (emulator: ${error instanceof Error ? error.message : String(error)})`,
          ),
        )
        res.writeHead(reply.status, { 'Content-Type': 'application/json' })
        res.end(reply.body)
      }
    })
  })
  // Longer than the SDK's idle keep-alive use, so a pooled socket is not closed under a new request.
  server.keepAliveTimeout = 30_000

  return {
    server,
    destroyHanging: () => {
      for (const res of hanging) res.socket?.destroy()
      hanging.clear()
    },
  }
}
