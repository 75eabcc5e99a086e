/** The policy's `approve` hook, asked before any money moves. */
import type { PaymentRequirements } from '@stripe402/protocol'
import { abortable } from '../abort'
import { messageOf } from '../errors'
import type { ApprovalContext } from '../options'
import { spentTotals } from '../wallet/budget'
import type { CallState } from './engine'
import { refuse, type Step } from './step'

/** The `approve` hook, if any; a hook that throws declines. */
export async function approve(
  call: CallState,
  requirements: PaymentRequirements,
  topUpAmount: number,
  reason: string | undefined,
): Promise<Step | undefined> {
  const { engine, request } = call
  const hook = engine.policy.approve
  if (!hook) return undefined
  const context: ApprovalContext = {
    origin: request.origin,
    url: request.url,
    method: request.method,
    route: request.route,
    requirements,
    topUpAmount,
    spent: spentTotals(engine.wallet.current, requirements.currency, engine.now()),
    ...(reason !== undefined ? { reason } : {}),
  }
  let approved: boolean
  try {
    approved = await abortable(
      Promise.resolve().then(() => hook(context)),
      request.signal,
    )
  } catch (error) {
    if (request.signal?.aborted) throw error
    return refuse(
      call,
      'not_approved',
      `The approve hook failed: ${messageOf(error)}`,
      requirements,
    )
  }
  if (approved === true) return undefined
  return refuse(call, 'not_approved', 'The approve hook declined the payment.', requirements)
}
