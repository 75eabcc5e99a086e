/** Where answering a challenge leads: stop with an outcome, or send a payment; and the refusal that stops a call. */
import type { PaymentPayload, PaymentRequirements } from '@stripe402/protocol'
import type { RefusalReason } from '../events'
import type { CallInfo, CallState } from './engine'

export type Step = { kind: 'stop'; info: CallInfo } | { kind: 'send'; payload: PaymentPayload }

export function refuse(
  call: CallState,
  reason: RefusalReason,
  message: string,
  requirements: PaymentRequirements | undefined,
): Step {
  const { origin, route } = call.request
  call.engine.emit({
    type: 'refused',
    origin,
    route,
    reason,
    message,
    ...(requirements ? { requirements } : {}),
  })
  return {
    kind: 'stop',
    info: { outcome: 'refused', reason, message, ...(requirements ? { requirements } : {}) },
  }
}
