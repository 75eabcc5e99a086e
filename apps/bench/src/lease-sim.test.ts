import { describe, expect, it } from 'vitest'
import { type LeaseSettings, simulateLeases } from './lease-sim'

const base: LeaseSettings = {
  instances: 4,
  callsPerSecond: 500,
  price: 10,
  balance: 10_000_000,
  leaseSeconds: 1,
  leaseTtlSeconds: 5,
  seconds: 20,
  seed: 7,
}

/** What every run must keep: no overdraft, and every unit taken from the ledger paid for a call or came back. */
function expectExact(settings: LeaseSettings) {
  const r = simulateLeases(settings)
  expect(r.neverNegative).toBe(true)
  expect(r.unitsDebited).toBe(r.unitsServed)
  expect(r.finalBalance).toBe(settings.balance - r.unitsServed)
  expect(r.served + r.refusedEmpty + r.refusedWithCredits).toBeLessThanOrEqual(r.calls)
  return r
}

describe('credit leases, simulated', () => {
  it('without leases makes one ledger call per call, and every call waits for it', () => {
    const r = expectExact({ ...base, leaseSeconds: 0 })
    expect(r.ledgerCallsPerCall).toBe(1)
    expect(r.waitedForLedger).toBe(r.calls)
    expect(r.served).toBe(r.calls)
  })

  it('with leases serves the same calls with a small fraction of the ledger calls', () => {
    const r = expectExact(base)
    expect(r.served).toBe(r.calls)
    expect(r.ledgerCallsPerCall).toBeLessThan(0.05)
  })

  it('never overdraws an account that runs out, leases or not, adaptive or not', () => {
    const low = { ...base, balance: 500 * 10 * 5 }
    for (const settings of [low, { ...low, leaseSeconds: 0 }, { ...low, adaptive: true }]) {
      const r = expectExact(settings)
      expect(r.unitsServed).toBe(low.balance)
    }
  })

  it('locks a low balance in other instances’ leases, unless slices shrink with the balance', () => {
    const low = { ...base, balance: 500 * 10 * 5 }
    expect(expectExact(low).refusedWithCredits).toBeGreaterThan(0)
    expect(expectExact({ ...low, adaptive: true }).refusedWithCredits).toBe(0)
  })

  it('strands at most a lease when an instance dies, until the lease’s deadline', () => {
    const r = expectExact({ ...base, crashAt: 10 })
    const leaseUnits =
      Math.ceil((base.callsPerSecond / base.instances) * base.leaseSeconds) * base.price
    expect(r.strandedByCrash).toBeGreaterThan(0)
    expect(r.strandedByCrash).toBeLessThanOrEqual(leaseUnits)
    expect(r.strandedSeconds).toBeLessThanOrEqual(base.leaseTtlSeconds)
  })

  it('serves after a revocation only what leases held, and less when it is pushed', () => {
    const atRenewal = expectExact({ ...base, revokeAt: 10 })
    const pushed = expectExact({ ...base, revokeAt: 10, revocationNoticeMs: 20 })
    const leaseCalls = Math.ceil((base.callsPerSecond / base.instances) * base.leaseSeconds)
    expect(atRenewal.servedAfterRevocation).toBeGreaterThan(0)
    expect(atRenewal.servedAfterRevocation).toBeLessThanOrEqual(base.instances * leaseCalls)
    expect(pushed.servedAfterRevocation).toBeLessThan(atRenewal.servedAfterRevocation)
    expect(expectExact({ ...base, leaseSeconds: 0, revokeAt: 10 }).servedAfterRevocation).toBe(0)
  })

  it('is reproducible: the same seed, the same run', () => {
    expect(simulateLeases(base)).toEqual(simulateLeases(base))
  })
})
