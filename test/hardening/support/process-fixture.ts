/** A vitest fixture for the process suites: a shared ledger, the server processes a test starts, and the leak scan of their output. */
import { afterAll, beforeAll, expect } from 'vitest'
import { findLeaks } from './leak-scan'
import type { ServerProcess } from './processes'
import type { SharedLedger } from './shared-ledger'

export interface ProcessFixture {
  /** The shared ledger (opened before the first test when its service is available). */
  readonly shared: SharedLedger
  /** Every process a test started: stopped, and their output scanned for the secrets, after the last test. */
  readonly started: ServerProcess[]
  /** Everything every process printed: any of them may be the one that sweeps or repairs. */
  output(): string
}

export function useProcessFixture(
  variant: { available: boolean; open: () => Promise<SharedLedger> },
  secrets: Array<{ what: string; value: string }>,
): ProcessFixture {
  let shared: SharedLedger | undefined
  const started: ServerProcess[] = []
  beforeAll(async () => {
    if (variant.available) shared = await variant.open()
  })
  afterAll(async () => {
    await Promise.all(started.map((server) => server.stop()))
    const leaks = started.flatMap((server, i) =>
      findLeaks(`process ${i} output`, server.output(), { exact: secrets }),
    )
    expect(leaks).toEqual([])
    await shared?.cleanup()
  })
  return {
    get shared() {
      if (!shared) throw new Error('the shared ledger is not open (its service is unavailable)')
      return shared
    },
    started,
    output: () => started.map((server) => server.output()).join('\n'),
  }
}
