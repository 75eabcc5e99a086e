/** One burst of HTTP load with autocannon, keeping every response's status and latency. */
import autocannon from 'autocannon'

export interface LoadOptions {
  url: string
  headers?: Record<string, string>
  connections: number
  /**
   * Stop after exactly this many responses (at least one per connection). Never a timer: autocannon
   * drops the requests in flight when a timed run ends, and the server would still serve (and charge) them.
   */
  amount: number
}

export interface LoadResult {
  responses: number
  /** Responses per HTTP status. */
  statuses: Record<string, number>
  non2xx: number
  /** Connection errors and timeouts. */
  errors: number
  /** From the first request to the last response. */
  elapsedMs: number
  /** Latency of every response, in milliseconds. */
  latencies: Float64Array
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = []
  const statuses: Record<string, number> = {}
  let non2xx = 0
  let last = 0
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        pipelining: 1,
        timeout: 10,
        ...(options.headers && { headers: options.headers }),
        amount: Math.max(options.amount, options.connections),
      },
      (error, result) => {
        if (error) return reject(error)
        resolve({
          responses: latencies.length,
          statuses,
          non2xx,
          errors: result.errors,
          elapsedMs: Math.max(1, (last || performance.now()) - started),
          latencies: Float64Array.from(latencies),
        })
      },
    )
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      last = performance.now()
      latencies.push(responseTime)
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1
      if (statusCode < 200 || statusCode > 299) non2xx++
    })
  })
}

/** The q-th quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank] as number
}

/** All latencies of several bursts, sorted. */
export function pooled(results: LoadResult[]): Float64Array {
  const all = new Float64Array(results.reduce((n, r) => n + r.latencies.length, 0))
  let offset = 0
  for (const r of results) {
    all.set(r.latencies, offset)
    offset += r.latencies.length
  }
  return all.sort()
}
