/** Messages between the bench (parent) and the server under test (child process), over Node's IPC channel. */

export const ADAPTER_NAMES = ['express', 'koa', 'fetch'] as const
export type AdapterName = (typeof ADAPTER_NAMES)[number]

export const LEDGER_NAMES = ['memory', 'sqlite', 'pglite', 'redis', 'postgres'] as const
export type LedgerName = (typeof LEDGER_NAMES)[number]

/** The two routes of the app under test: same handler, same body; only the paywall differs. */
export const FREE_PATH = '/api/free'
export const PAID_PATH = '/api/paid'
/**
 * Express only: a free route (unpriced, so the paywall lets it through as it does FREE_PATH) whose
 * requests carry the paid route's Payment header and whose handler sends the headers the paywall
 * adds to a paid answer, byte for byte: what the protocol's own bytes cost on the wire, without the
 * engine's work.
 */
export const WIRE_PATH = '/api/wire'
/** Price of the paid route in units: one unit, so one top-up lasts the whole run. */
export const PAID_AMOUNT = 1
/** Top-up asked for on the first paid call: $100,000 in units, far more than any run spends. */
export const TOP_UP_UNITS = 1_000_000_000
/** The paywall's secret, in the server under test and in the engine profile alike. */
export const BENCH_SECRET = 'stripe402-bench-secret-0123456789abcdefghijklmnop'

/** Counters kept by the server under test. */
export interface ServerStats {
  /** HTTP requests that reached the server, per path (paid, free, anything else). */
  requests: Record<string, number>
  /** Handler runs per route: a paid handler runs only for a request the paywall let through. */
  served: { free: number; paid: number; wire: number }
  /** CPU time the server process has used so far (user + system), in microseconds. */
  cpuMicros: number
  /** Bytes the server's JavaScript heap has allocated so far (V8's total_allocated_bytes; 0 where it is not reported). */
  allocatedBytes: number
}

export type ParentMessage =
  | { id: number; type: 'stats' }
  | { id: number; type: 'balance'; clientId: string }
  | { id: number; type: 'stop' }

export type ChildMessage =
  | { type: 'ready'; url: string; ledger: string }
  | { type: 'unavailable'; reason: string }
  | { id: number; type: 'stats'; stats: ServerStats }
  | { id: number; type: 'balance'; balance: number | null }
  | { id: number; type: 'stopped' }
  | { id: number; type: 'error'; message: string }
