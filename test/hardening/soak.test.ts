/**
 * Soak (issue 19): three server processes (Express, Koa, fetch) on one shared ledger, many payers
 * each with its own card, Stripe faults on the charge path, a ledger outage on every process, and
 * one process killed with SIGKILL and restarted, all in one run. Every account ends with:
 * credited = succeeded charges (each credited once, nothing credited without a charge);
 * balance = credited − debits + reversals (its journal); debits kept ≤ answers served, and the
 * difference (the operator's loss) no more than the debits given back past their hold, each one
 * the killed process's and none that a batch of confirmations it sent had confirmed once landed;
 * no debit still held; and no payer holds less than its last receipt said (more only by that
 * gift, or by a top-up whose answer it never got).
 */
import { accountIdFor, type JournalEntry } from '@stripe402/server'
import {
  expectedFingerprint,
  startStripeEmulator,
  type StripeEmulator,
} from '@stripe402/stripe-emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditAccount, auditCharges } from './support/ledger-audit'
import { errorCodeOf, paying, paymentResponseOf, tokenize } from './support/payments'
import {
  freePort,
  type PaidServerOptions,
  type ServerProcess,
  startServerProcess,
} from './support/processes'
import { report } from './support/report'
import { useProcessFixture } from './support/process-fixture'
import { sharedLedgers } from './support/shared-ledger'

const variants = await sharedLedgers('soak')

const SECRET = 'hardening-soak-secret-0123456789abcdef-0123456789'
const PRICE = 250
const TOP_UP = 5_000
const PAYERS = 24
const RUN_MS = Number(process.env.STRIPE402_SOAK_MS ?? 10_000)
const HOLD_MS = 5_000
const BATCH_MS = 100
const ADAPTERS: PaidServerOptions['adapter'][] = ['express', 'koa', 'fetch']
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A Luhn-valid Visa number of its own for payer `i` (the emulator accepts any such number). */
function cardNumber(i: number): string {
  const body = `4000056${String(100_000 + i).padStart(8, '0')}`
  let sum = 0
  for (let k = 0; k < body.length; k++) {
    let digit = Number(body[body.length - 1 - k])
    if (k % 2 === 0) {
      digit *= 2
      if (digit > 9) digit -= 9
    }
    sum += digit
  }
  return `${body}${(10 - (sum % 10)) % 10}`
}

let emulator: StripeEmulator
beforeAll(async () => {
  emulator = await startStripeEmulator({ port: 0 })
})
afterAll(async () => {
  await emulator?.close()
})

interface Answer {
  server: number
  end: number
  status: number
}

interface Payer {
  number: string
  accountId: string
  paymentMethodId: string
  clientId?: string
  /** The top-up being paid, kept across retries so a retry replays it instead of charging again. */
  idempotencyKey?: string
  needsCard: boolean
  /** Answers with the paid handler's 200: the calls this payer was served. */
  served: number
  /** What the last receipt said the account holds (plus the price back after a paid 5xx). */
  belief?: number
  answers: Answer[]
}

describe.each(variants)('soak, ledger on $name', ({ name, available, open }) => {
  const fixture = useProcessFixture({ available, open }, [{ what: 'server secret', value: SECRET }])
  const { started } = fixture

  it.skipIf(!available)(
    'several processes, many payers, Stripe faults, a ledger outage and a kill -9: every account balances',
    async () => {
      const account = `soak_${name.toLowerCase()}`
      const options = (adapter: PaidServerOptions['adapter'], port: number): PaidServerOptions => ({
        adapter,
        port,
        stripe: {
          ...emulator.keys(account),
          apiBase: emulator.url,
          maxNetworkRetries: 0,
          timeoutMs: 2_000,
        },
        secret: SECRET,
        ledger: fixture.shared.config,
        routes: {
          'GET /api/unit': { amount: PRICE, minTopUp: TOP_UP },
          'GET /api/fail': { amount: PRICE, minTopUp: TOP_UP },
        },
        rateLimits: false,
        holdMs: HOLD_MS,
        settleBatchMs: BATCH_MS,
      })
      const ports = await Promise.all(ADAPTERS.map(() => freePort()))
      const servers: Array<ServerProcess | undefined> = await Promise.all(
        ADAPTERS.map(async (adapter, i) => {
          const server = await startServerProcess(options(adapter, ports[i]!))
          started.push(server)
          return server
        }),
      )

      const payers: Payer[] = await Promise.all(
        Array.from({ length: PAYERS }, async (_, i) => {
          const number = cardNumber(i)
          return {
            number,
            accountId: accountIdFor(SECRET, expectedFingerprint(account, number)),
            paymentMethodId: await tokenize(emulator, account, number),
            needsCard: true,
            served: 0,
            answers: [],
          }
        }),
      )

      // Stripe faults on the charge path, spread over the run: charges whose answer is lost (the
      // charge happened), server errors before any charge, and rate limits on the card lookup.
      const faults = () => {
        emulator.inject({
          method: 'POST',
          path: '/v1/payment_intents',
          afterResponse: true,
          drop: true,
          times: 2,
        })
        emulator.inject({ method: 'POST', path: '/v1/payment_intents', status: 500, times: 2 })
        emulator.inject({ method: 'GET', path: /^\/v1\/payment_methods\//, status: 429, times: 2 })
      }
      faults()

      const startAt = Date.now()
      const endAt = startAt + RUN_MS
      let outageAt = 0
      let killAt = 0
      // When the killed process's last confirmation batch that landed was sent, how many debits its
      // landed batches confirmed in all, and when its successor took its place.
      let lastConfirmed = 0
      let confirmed = 0
      let successorAt = 0
      // The debits the killed process's landed confirmation batches named.
      const confirmedRefs = new Set<string>()
      let unanswered = 0
      const statuses: Record<string, number> = {}

      const pay = async (payer: Payer, turn: number) => {
        const index = turn % servers.length
        const server = servers[index]
        if (!server) return sleep(20)
        const route = turn % 10 === 3 ? '/api/fail' : '/api/unit'
        if (payer.needsCard || !payer.clientId) payer.idempotencyKey ??= crypto.randomUUID()
        const payload =
          payer.needsCard || !payer.clientId
            ? {
                paymentMethodId: payer.paymentMethodId,
                topUpAmount: TOP_UP,
                idempotencyKey: payer.idempotencyKey,
                ...(payer.clientId && { clientId: payer.clientId }),
              }
            : { clientId: payer.clientId }
        let res: Response
        try {
          res = await fetch(`${server.url}${route}`, {
            headers: paying(payload),
            signal: AbortSignal.timeout(10_000),
          })
        } catch {
          unanswered++
          return sleep(20)
        }
        const body = await res.text()
        const key = `${res.status} ${errorCodeOf(body) ?? ''}`.trim()
        statuses[key] = (statuses[key] ?? 0) + 1
        payer.answers.push({ server: index, end: Date.now(), status: res.status })
        const receipt = paymentResponseOf(res.headers)
        if (receipt?.success) {
          payer.clientId = receipt.clientId
          payer.needsCard = false
          payer.idempotencyKey = undefined
          payer.belief = receipt.creditsRemaining + (res.status >= 500 ? PRICE : 0)
          if (res.status === 200) payer.served++
          return
        }
        const code = errorCodeOf(body)
        if (res.status === 402 && code === 'insufficient_credits') payer.needsCard = true
        // A refused top-up (declined, or Stripe's answer unknown: 503) keeps its key for the retry.
        if (res.status >= 500 || res.status === 429) await sleep(50)
      }

      const load = Promise.all(
        payers.map(async (payer, i) => {
          for (let turn = i; Date.now() < endAt; turn++) await pay(payer, turn)
        }),
      )
      const chaos = (async () => {
        await sleep(RUN_MS * 0.25)
        faults()
        // A ledger outage on every process for 1.5 s.
        outageAt = Date.now() - startAt
        await Promise.all(servers.map((server) => server?.ledger('down')))
        await sleep(1_500)
        await Promise.all(servers.map((server) => server?.ledger('up')))
        await sleep(RUN_MS * 0.3)
        faults()
        // kill -9 of the Koa process under load; a new one takes its port a second later.
        const victim = servers[1]!
        servers[1] = undefined
        killAt = Date.now()
        await victim.kill()
        await sleep(1_000)
        const successor = await startServerProcess(options('koa', ports[1]!))
        started.push(successor)
        servers[1] = successor
        successorAt = Date.now()
        for (const line of victim.output().matchAll(/^CONFIRMED (\d+) (\d+)$/gm)) {
          lastConfirmed = Math.max(lastConfirmed, Number(line[1]))
          confirmed = Math.max(confirmed, Number(line[2]))
        }
        for (const line of victim.output().matchAll(/^KEPT (.*)$/gm))
          for (const ref of (line[1] as string).split('\t')) confirmedRefs.add(ref)
      })()
      await Promise.all([load, chaos])

      // Let every process confirm, sweep and settle; then credit what Stripe charged and the ledger missed.
      await sleep(HOLD_MS * 2 + 1_000)
      const reconciled = await servers[0]!.reconcile()
      emulator.clearFaults()
      await sleep(HOLD_MS)

      const charges = await auditCharges(
        emulator,
        account,
        fixture.shared.ledger,
        payers.map((p) => p.accountId),
      )
      // For the report: the calls the killed process answered (read by their payers) that none of
      // its landed confirmation batches confirmed. Up to the successor: until it took the port,
      // every answer of that slot came from the killed process, even one read after it died.
      const killedAnswers = payers.flatMap((payer) =>
        payer.answers.filter((a) => a.server === 1 && a.status === 200 && a.end < successorAt),
      )
      const atRisk = killedAnswers.length - confirmed
      let served = 0
      let kept = 0
      let reversals = 0
      let beliefGap = 0
      for (const payer of payers) {
        const audit = await auditAccount(fixture.shared.ledger, payer.accountId)
        const debits = audit.entries.filter((e: JournalEntry) => e.kind === 'debit').length
        const back = audit.entries.filter((e: JournalEntry) => e.kind === 'reversal').length
        // Each reversal gives back one of this account's debits, once.
        const debitRefs = new Set(audit.entries.filter((e) => e.kind === 'debit').map((e) => e.ref))
        const reversalRefs = audit.entries.filter((e) => e.kind === 'reversal').map((e) => e.ref)
        expect(reversalRefs.every((ref) => debitRefs.has(ref))).toBe(true)
        expect(new Set(reversalRefs).size).toBe(reversalRefs.length)
        // Never a payer debited for an answer it did not get.
        expect(debits - back, `account of payer ${payer.number.slice(-4)}`).toBeLessThanOrEqual(
          payer.served,
        )
        served += payer.served
        kept += debits - back
        reversals += back
        if (payer.belief !== undefined) {
          expect(audit.balance).toBeGreaterThanOrEqual(payer.belief)
          beliefGap += audit.balance - payer.belief
        }
      }
      const held = fixture.shared.ledger.holds ? await fixture.shared.ledger.holds.count() : 0
      // The debits swept back past their hold, by whichever process swept them.
      const givenBack = started.flatMap((server) =>
        [...server.output().matchAll(/^EVENT (.*"outcome":"expired".*)$/gm)].map(
          (line) => (JSON.parse(line[1] as string) as { ref: string }).ref,
        ),
      )
      const expired = givenBack.length
      // A ref names the process that took the debit (`<method> <route>#<process id>.<n>`).
      const killedProcess = /#([^#]+)\.\d+$/.exec([...confirmedRefs][0] ?? '')?.[1]
      report(`soak: ${name}`, {
        runMs: RUN_MS,
        payers: PAYERS,
        processes: ADAPTERS.length,
        answers: statuses,
        unanswered,
        outageAtMs: outageAt,
        killAtMs: killAt - startAt,
        charged: charges.charged,
        creditedOnce: charges.creditedOnce,
        reconciled: reconciled.credited,
        served,
        debitsKept: kept,
        reversals,
        expiredHolds: expired,
        operatorLoss: served - kept,
        atRiskAtKill: atRisk,
        answeredAfterLastConfirmation: killedAnswers.filter((a) => a.end >= lastConfirmed).length,
        lastConfirmationSentMsBeforeKill: killAt - lastConfirmed,
        beliefGapUnits: beliefGap,
        stillHeld: held,
      })
      // Money from Stripe's side: every charge credited once, nothing credited without a charge.
      expect(charges.uncredited).toEqual([])
      expect(charges.wrong).toEqual([])
      expect(charges.creditsWithoutCharge).toEqual([])
      expect(charges.charged).toBeGreaterThanOrEqual(PAYERS)
      expect(served).toBeGreaterThan(PAYERS * 5)
      // What the payers were not served, they were not charged for; what the operator gave away is bounded.
      expect(kept).toBeLessThanOrEqual(served)
      // What the operator gave away is bounded, debit by debit: every debit swept back is the
      // killed process's, and none a landed batch of its confirmations named; each call lost is one
      // of them. (The killed process confirmed calls before it died, so its refs are known.)
      expect(killedProcess).toBeDefined()
      expect(givenBack.filter((ref) => !ref.includes(`#${killedProcess}.`))).toEqual([])
      expect(givenBack.filter((ref) => confirmedRefs.has(ref))).toEqual([])
      expect(served - kept).toBeLessThanOrEqual(givenBack.length)
      expect(held).toBe(0)
    },
    120_000,
  )
})
