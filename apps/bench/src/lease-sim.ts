/**
 * Credit leases, simulated (not in the engine): each instance reserves a slice of an account's
 * balance in one ledger call, spends it in memory, and gives back what is left when the lease ends,
 * as telecom online charging reserves quota (Diameter Gy / 3GPP CCR-Initial, -Update, -Terminate).
 * `tsx src/lease-sim.ts` prints the trade-offs of docs/scaling.md; `lease-sim.test.ts` holds the
 * invariants. Virtual time, a seeded random stream: the same parameters give the same numbers.
 */

export interface LeaseSettings {
  /** Server instances; each call goes to one at random, as a load balancer spreads an agent's calls. */
  instances: number
  /** Calls per second of the account, all instances together. */
  callsPerSecond: number
  /** Units per call. */
  price: number
  /** Units in the ledger at the start. */
  balance: number
  /** Seconds of the account's traffic, on one instance, a lease is sized for (0: no leases, one ledger call per call). */
  leaseSeconds: number
  /** A lease ends (its remainder goes back) this long after it was taken, in seconds. */
  leaseTtlSeconds: number
  /** Simulated seconds. */
  seconds: number
  /** Instance 0 dies at this second, its leases left to expire (the sweep gives them back at their deadline). */
  crashAt?: number
  /** The credential is revoked at this second; instances learn it at their next ledger call, or after `revocationNoticeMs`. */
  revokeAt?: number
  /**
   * Lease at most a share of what is left (balance / (2 × instances)), down to a single call: a low
   * balance is not locked up in other instances' leases.
   */
  adaptive?: boolean
  /** How long a revocation takes to reach instances holding a lease (a pub/sub message), in milliseconds; default: never, they learn at renewal. */
  revocationNoticeMs?: number
  seed?: number
}

export interface LeaseReport {
  calls: number
  served: number
  /** Refused for want of credits although the account had some: they sat in other instances' leases. */
  refusedWithCredits: number
  /** Refused because the account had none left anywhere. */
  refusedEmpty: number
  /** Ledger round trips per call (1 without leases). */
  ledgerCallsPerCall: number
  /** Calls that waited for a ledger round trip (the rest were answered from memory). */
  waitedForLedger: number
  /** Calls served after the revocation, and their units. */
  servedAfterRevocation: number
  /** Units the crashed instance held, unusable until its leases expired, and for how long at most (s). */
  strandedByCrash: number
  strandedSeconds: number
  /** Units debited from the ledger for calls (leased units given back are not debited). */
  unitsDebited: number
  /** Units the served calls cost: must equal unitsDebited once every lease has ended. */
  unitsServed: number
  /** The ledger balance at the end, every lease ended: starting balance minus units served. */
  finalBalance: number
  /** The ledger balance never went below zero. */
  neverNegative: boolean
}

/** Mulberry32: a small seeded generator, so a run is reproducible. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Lease {
  units: number
  /** When the remainder goes back to the ledger. */
  endsAt: number
}

interface Instance {
  lease: Lease | null
  /** A reservation on its way: calls arriving meanwhile wait for it. */
  reserving: Promise<void> | null
  dead: boolean
  /** The instance knows the credential is revoked. */
  knowsRevoked: boolean
}

/** Runs the simulation. All times in seconds. */
export function simulateLeases(settings: LeaseSettings): LeaseReport {
  const next = random(settings.seed ?? 1)
  const report: LeaseReport = {
    calls: 0,
    served: 0,
    refusedWithCredits: 0,
    refusedEmpty: 0,
    ledgerCallsPerCall: 0,
    waitedForLedger: 0,
    servedAfterRevocation: 0,
    strandedByCrash: 0,
    strandedSeconds: 0,
    unitsDebited: 0,
    unitsServed: 0,
    finalBalance: 0,
    neverNegative: true,
  }
  let ledger = settings.balance
  let ledgerCalls = 0
  let revoked = false
  const instances: Instance[] = Array.from({ length: settings.instances }, () => ({
    lease: null,
    reserving: null,
    dead: false,
    knowsRevoked: false,
  }))
  // Units per lease: this instance's share of the traffic for leaseSeconds, at least one call.
  const perInstanceRate = settings.callsPerSecond / settings.instances
  const leaseUnits = Math.max(
    settings.price,
    Math.ceil(perInstanceRate * settings.leaseSeconds) * settings.price,
  )
  const useLeases = settings.leaseSeconds > 0

  // Events in virtual time: [time, order, action], run in order.
  const events: Array<[number, number, () => void]> = []
  let order = 0
  const at = (time: number, action: () => void) => {
    events.push([time, order++, action])
  }

  /** Gives a lease's remainder back (CCR-Terminate): one ledger call. */
  const giveBack = (lease: Lease) => {
    ledgerCalls++
    ledger += lease.units
    report.unitsDebited -= lease.units
  }
  const endLease = (instance: Instance, lease: Lease) => {
    if (instance.lease !== lease) return
    instance.lease = null
    giveBack(lease)
  }

  /** A call on one instance at `now`. */
  const call = (now: number, instance: Instance) => {
    report.calls++
    if (instance.dead) return
    if (revoked && instance.knowsRevoked) return
    if (!useLeases) {
      // One ledger call per paid call: check the credential and the balance, debit.
      ledgerCalls++
      report.waitedForLedger++
      if (revoked) {
        instance.knowsRevoked = true
        return
      }
      if (ledger >= settings.price) {
        ledger -= settings.price
        report.unitsDebited += settings.price
        serve()
      } else refuse()
      return
    }
    if (instance.lease && instance.lease.units >= settings.price && now < instance.lease.endsAt) {
      instance.lease.units -= settings.price
      serve()
      return
    }
    // The lease is spent or over: give back what is left and reserve again, in the same ledger call
    // (CCR-Update), which also tells the instance whether the credential still stands.
    report.waitedForLedger++
    ledgerCalls++
    const old = instance.lease
    instance.lease = null
    if (old) {
      ledger += old.units
      report.unitsDebited -= old.units
    }
    if (revoked) {
      instance.knowsRevoked = true
      return
    }
    const share = settings.adaptive
      ? Math.max(settings.price, Math.floor(ledger / (2 * settings.instances)))
      : leaseUnits
    const wanted = Math.min(leaseUnits, share)
    const units = Math.min(wanted - (wanted % settings.price), ledger - (ledger % settings.price))
    if (units < settings.price) {
      const heldElsewhere = instances.some(
        (i) => !i.dead && (i.lease?.units ?? 0) >= settings.price,
      )
      if (heldElsewhere) report.refusedWithCredits++
      else refuse()
      return
    }
    ledger -= units
    report.unitsDebited += units
    const lease: Lease = { units: units - settings.price, endsAt: now + settings.leaseTtlSeconds }
    instance.lease = lease
    at(lease.endsAt, () => {
      // A dead instance cannot give back: the sweep does, at the lease's deadline, all the same.
      endLease(instance, lease)
    })
    serve()
  }
  const serve = () => {
    report.served++
    report.unitsServed += settings.price
    if (revoked) report.servedAfterRevocation++
  }
  const refuse = () => {
    report.refusedEmpty++
  }

  // Poisson arrivals of the account's calls.
  for (let t = 0; ; ) {
    t += -Math.log(1 - next()) / settings.callsPerSecond
    if (t >= settings.seconds) break
    const instance = instances[Math.floor(next() * instances.length)] as Instance
    at(t, () => call(t, instance))
  }
  if (settings.crashAt !== undefined) {
    at(settings.crashAt, () => {
      const victim = instances[0] as Instance
      victim.dead = true
      report.strandedByCrash = victim.lease?.units ?? 0
      report.strandedSeconds = victim.lease ? victim.lease.endsAt - (settings.crashAt as number) : 0
    })
  }
  if (settings.revokeAt !== undefined) {
    const revokeAt = settings.revokeAt
    at(revokeAt, () => {
      revoked = true
    })
    if (settings.revocationNoticeMs !== undefined)
      at(revokeAt + settings.revocationNoticeMs / 1000, () => {
        for (const instance of instances) {
          instance.knowsRevoked = true
          if (instance.lease && !instance.dead) endLease(instance, instance.lease)
        }
      })
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  // Events scheduled while running (lease ends) are merged in time order.
  for (let i = 0; i < events.length; i++) {
    const [, , action] = events[i] as [number, number, () => void]
    const before = events.length
    action()
    if (ledger < 0) report.neverNegative = false
    if (events.length > before) {
      const added = events.splice(before)
      for (const event of added) {
        let j = events.length
        while (j > i + 1 && (events[j - 1] as [number, number, () => void])[0] > event[0]) j--
        events.splice(j, 0, event)
      }
    }
  }
  // Every lease still open ends (given back by its instance or by the sweep).
  for (const instance of instances) if (instance.lease) endLease(instance, instance.lease)
  report.ledgerCallsPerCall = report.calls > 0 ? ledgerCalls / report.calls : 0
  report.finalBalance = ledger
  return report
}

/** The table docs/scaling.md quotes. */
function main(): void {
  const base: LeaseSettings = {
    instances: 4,
    callsPerSecond: 2_000,
    price: 10,
    balance: 100_000_000,
    leaseSeconds: 0,
    leaseTtlSeconds: 5,
    seconds: 60,
    seed: 16,
  }
  const rows: Array<[string, LeaseSettings]> = [
    ['no leases (today)', base],
    ['lease = 0.1 s of traffic, TTL 5 s', { ...base, leaseSeconds: 0.1 }],
    ['lease = 1 s of traffic, TTL 5 s', { ...base, leaseSeconds: 1 }],
    ['lease = 1 s, 16 instances', { ...base, leaseSeconds: 1, instances: 16 }],
    ['lease = 1 s, crash of one instance at 30 s', { ...base, leaseSeconds: 1, crashAt: 30 }],
    ['lease = 1 s, revoked at 30 s, learnt at renewal', { ...base, leaseSeconds: 1, revokeAt: 30 }],
    [
      'lease = 1 s, revoked at 30 s, pushed in 50 ms',
      { ...base, leaseSeconds: 1, revokeAt: 30, revocationNoticeMs: 50 },
    ],
    [
      'lease = 1 s, balance for 20 s of calls',
      { ...base, leaseSeconds: 1, balance: 2_000 * 10 * 20 },
    ],
    [
      'lease = 1 s, balance for 20 s, adaptive slices',
      { ...base, leaseSeconds: 1, balance: 2_000 * 10 * 20, adaptive: true },
    ],
  ]
  process.stdout.write(
    '| Scenario | Ledger calls per paid call | Calls waiting on the ledger | Served after revocation | Stranded by a crash (units, for s) | Refused while credits sat in other leases | Exact |\n| --- | ---: | ---: | ---: | ---: | ---: | --- |\n',
  )
  for (const [name, settings] of rows) {
    const r = simulateLeases(settings)
    const exact =
      r.neverNegative &&
      r.unitsDebited === r.unitsServed &&
      r.finalBalance === settings.balance - r.unitsServed
    process.stdout.write(
      `| ${name} | ${r.ledgerCallsPerCall.toFixed(3)} | ${((r.waitedForLedger / r.calls) * 100).toFixed(1)} % | ${r.servedAfterRevocation} | ${r.strandedByCrash} for ${r.strandedSeconds.toFixed(1)} | ${r.refusedWithCredits} | ${exact ? 'yes' : 'NO'} |\n`,
    )
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main()
