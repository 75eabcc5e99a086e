/** Every server audit, in the order they must run. */
import type { ServerAuditOptions } from '../session/options'
import { Session } from '../session/session'
import { badInputAudits } from './bad-input'
import { challengeAudits } from './challenge'
import { declineAudits } from './declines'
import { lostAnswerAudit } from './lost-answer'
import { moneyAudits } from './money'
import { pathAudits } from './paths'
import { payingAudits } from './paying'
import type { Audit } from './types'

/**
 * The audits for one server. They share one session: audits that look at the same exchange
 * (the challenge, the first payment) send it once, and accounts are assigned to audits by
 * card (see `CARDS`). Run them in this order: PAY-07 spends the primary account down, and
 * the bad-input audits after it rely on that account being empty. Running a subset in the
 * same order works too: an audit computes whatever earlier step it needs.
 */
export function serverAudits(options: ServerAuditOptions, session = new Session(options)): Audit[] {
  return [
    ...challengeAudits(session),
    ...payingAudits(session),
    ...moneyAudits(session),
    lostAnswerAudit(session),
    ...badInputAudits(session),
    ...declineAudits(session),
    ...pathAudits(session),
  ]
}
