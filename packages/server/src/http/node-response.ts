/** A paid answer on a Node response (Express, Koa, `node:http`): the settlement rule written once for every Node adapter. */
import type { PaidOutcome } from '../outcome'
import { keepNodeResponsePrivate, type NodeResponseLike } from './private-response'

/** The part of Node's ServerResponse a paid answer needs (structural, so the engine stays runtime-neutral). */
export interface NodePaidResponse extends NodeResponseLike {
  readonly headersSent: boolean
  readonly statusCode: number
  on(event: 'close', listener: () => void): unknown
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
  // The status of the head as it was written (Node writes every head through `writeHead`).
  let sent: number | undefined
  keepNodeResponsePrivate(res, (status) => {
    sent ??= status
  })
  // 'close' is emitted once per response: `on` spares the wrapper `once` builds.
  res.on('close', () => void outcome.settle(sent ?? (res.headersSent ? res.statusCode : 500)))
  return true
}
