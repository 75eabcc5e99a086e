/** The emulator's engine room: accounts, event emission and deferred work (disputes), shared by all handlers. */
import { Account } from './state'
import { createEvent, type EventRequest, type StripeEvent } from './webhooks/events'
import type { WebhookDispatcher } from './webhooks/dispatcher'

interface DeferredTask {
  timer: NodeJS.Timeout
  done: Promise<void>
  resolve: () => void
}

export class Core {
  readonly accounts = new Map<string, Account>()
  private readonly deferred = new Set<DeferredTask>()
  /** Base URL of the running server, for links the API hands out (3-D Secure pages). */
  baseUrl = ''

  constructor(readonly webhooks: WebhookDispatcher) {}

  /** The account named by a key; accounts spring into existence on first use, as any sk_test_<x> is valid. */
  account(id: string): Account {
    let account = this.accounts.get(id)
    if (!account) {
      account = new Account(id)
      this.accounts.set(id, account)
    }
    return account
  }

  /** Records an event in the account and hands it to the webhook endpoints that want it. */
  emit(
    account: Account,
    type: string,
    object: unknown,
    request: EventRequest = { id: null, idempotency_key: null },
  ): StripeEvent {
    const event = createEvent(type, object, request, this.webhooks.countTargets(account.id, type))
    account.events.set(event.id, event)
    this.webhooks.dispatch(account.id, event)
    return event
  }

  /** Runs `task` after `ms`, tracked so that `settle()` can wait for it and `reset()` can cancel it. */
  defer(ms: number, task: () => void): void {
    let resolve!: () => void
    const done = new Promise<void>((r) => (resolve = r))
    const entry: DeferredTask = {
      timer: setTimeout(() => {
        this.deferred.delete(entry)
        try {
          task()
        } finally {
          resolve()
        }
      }, ms),
      done,
      resolve,
    }
    this.deferred.add(entry)
  }

  /** Waits until deferred work has run and every webhook delivery has finished. */
  async settle(): Promise<void> {
    for (;;) {
      if (this.deferred.size > 0) {
        await Promise.all([...this.deferred].map((d) => d.done))
        continue
      }
      await this.webhooks.flush()
      if (this.deferred.size === 0) return
    }
  }

  /** Cancels deferred work and webhook retries, keeping the state for inspection. */
  stop(): void {
    for (const entry of this.deferred) {
      clearTimeout(entry.timer)
      entry.resolve()
    }
    this.deferred.clear()
    this.webhooks.stop()
  }

  reset(): void {
    this.stop()
    this.accounts.clear()
    this.webhooks.reset()
  }
}
