/** A paid answer on a Node response (Express, Koa, `node:http`): the settlement rule written once for every Node adapter. */
import type { PaidOutcome } from '../outcome'
import { makeHeadPrivate, type NodeResponseLike } from './private-response'

/** The part of Node's ServerResponse a paid answer needs (structural, so the engine stays runtime-neutral). */
export interface NodePaidResponse extends NodeResponseLike {
  readonly headersSent: boolean
  readonly statusCode: number
  on(event: 'close', listener: (this: NodePaidResponse) => void): unknown
}

/**
 * Starts a paid answer: sets the outcome's headers, keeps the head private, and settles the debit
 * when the response closes. 'close' comes after every answer: once the head went out with a status
 * the request was served, even if the client hangs up mid-body; closed before any head, it never
 * was (500, so the debit is reversed). Settled on the status the head went out with: an error
 * handler that sets 500 after the first bytes changes `statusCode`, not what the client got.
 * Returns false, already settled with 500, when the client hung up while the engine debited:
 * then nothing is served.
 */
export function startPaidNodeResponse(
  outcome: PaidOutcome,
  res: NodePaidResponse,
  socket: { readonly destroyed: boolean },
): boolean {
  if (socket.destroyed) {
    void outcome.settle(500)
    return false
  }
  const headers = outcome.headers
  for (const name in headers) res.setHeader(name, headers[name] as string)
  const watched = res as Watched
  const already = watched[PAID]
  if (already) {
    // A second paywall (another instance, on a router) priced the same response: same head, same fate.
    already.outcomes.push(outcome)
    return true
  }
  // One small record on the response, and functions shared by every response: no closures per request.
  watched[PAID] = { outcomes: [outcome], writeHead: res.writeHead, sent: undefined }
  res.writeHead = writePaidHead as NodePaidResponse['writeHead']
  res.on('close', settleOnClose)
  return true
}

const PAID = Symbol('stripe402 paid response')

interface PaidResponse {
  outcomes: PaidOutcome[]
  /** The `writeHead` the response had before (Node's, or another wrapper's). */
  writeHead: NodePaidResponse['writeHead']
  /** The status of the head as it was written (Node writes every head through `writeHead`). */
  sent: number | undefined
}

type Watched = NodePaidResponse & { [PAID]?: PaidResponse }

function writePaidHead(this: Watched, ...args: unknown[]): unknown {
  const paid = this[PAID] as PaidResponse
  const written = (paid.writeHead as (...a: unknown[]) => unknown).apply(
    this,
    makeHeadPrivate(this, args),
  )
  paid.sent ??= this.statusCode
  return written
}

// 'close' is emitted once per response: `on` spares the wrapper `once` builds.
function settleOnClose(this: Watched): void {
  const paid = this[PAID] as PaidResponse
  const status = paid.sent ?? (this.headersSent ? this.statusCode : 500)
  for (const outcome of paid.outcomes) void outcome.settle(status)
}
