/** The one way an audit fails: a reason a person can act on and the exchange that showed it. */
import type { Exchange } from '../session/http'

export class AuditFailure extends Error {
  override readonly name = 'AuditFailure'
  constructor(
    message: string,
    readonly exchange?: Exchange,
  ) {
    super(message)
  }
}

/** Throws an AuditFailure; reads as a statement in the audits. */
export function fail(reason: string, exchange?: Exchange): never {
  throw new AuditFailure(reason, exchange)
}
