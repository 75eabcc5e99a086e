/** Which agent call the paying engine is working for, carried through its awaits (AsyncLocalStorage). */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { ApprovalContext } from '@stripe402/client'

/** What the engine asks of the call it is paying for. */
export interface CallScope {
  /** Sends one upstream request of this call, after the call's checks. */
  send(url: string, init: RequestInit): Promise<Response>
  /** The engine's `approve`: may this call pay this price now? */
  approve(context: ApprovalContext): boolean
}

const storage = new AsyncLocalStorage<CallScope>()

export function withScope<T>(scope: CallScope, work: () => Promise<T>): Promise<T> {
  return storage.run(scope, work)
}

export function currentScope(): CallScope | undefined {
  return storage.getStore()
}
