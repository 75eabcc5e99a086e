/**
 * Where a paid request's microseconds and bytes go: `tsx src/profile.ts [--adapter=express]
 * [--ledger=memory] [--requests=40000]`. Runs the bench's server once per route, under the bench's
 * load, with a CPU profile (`--cpu-prof`) and an allocation sampling profile (every allocation,
 * collected or not), and prints paid minus free per request: CPU by area of the code, the functions
 * whose CPU and bytes grow most. Profiles add overhead: read the shares, not the absolute numbers.
 * The profiles stay in --dir (default: the system's temporary folder) for Chrome DevTools.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { encodePaymentPayload, HEADERS } from '@stripe402/protocol'
import { startStripeEmulator } from '@stripe402/stripe-emulator'
import { type AdapterName, FREE_PATH, type LedgerName, PAID_PATH } from './ipc'
import { runLoad } from './load'
import { createPaymentMethod, payOnce } from './payer'
import { startServerProcess } from './server-process'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: CallFrame }>
  samples: number[]
  timeDeltas: number[]
}
interface HeapNode {
  id: number
  callFrame: CallFrame
  children: HeapNode[]
}
interface HeapProfile {
  head: HeapNode
  samples: Array<{ nodeId: number; size: number }>
}

/** Which part of the stack a frame belongs to, to say whose code a microsecond is spent in. */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame
  if (functionName === '(garbage collector)') return 'garbage collector'
  if (functionName === '(idle)' || functionName === '(program)') return 'idle / program'
  if (functionName === 'writev' || functionName === 'writeUtf8String')
    return 'socket writes (wall time in the syscall)'
  if (/packages\/server\/src\/(request|ledger-calls|top-up)\//.test(url))
    return 'server: request/, ledger-calls/'
  if (/packages\/server\/src\/ledger\//.test(url)) return 'server: ledger/'
  if (/packages\/server\/src\//.test(url)) return 'server: http/, routes/, credentials, pricing'
  if (/packages\/protocol\//.test(url)) return 'protocol'
  if (/packages\/(express|koa|fetch)\//.test(url)) return 'adapter'
  if (/ioredis|redis-parser|\/pg[@/-]/.test(url)) return 'store client'
  if (url.startsWith('node:') || url === '') return 'node core and builtins'
  return 'framework and other packages'
}

const frameName = ({ functionName, url, lineNumber }: CallFrame) =>
  `${functionName || '(anonymous)'} ${url.replace(/^.*\/node_modules\/\.pnpm\/([^/]+)\/.*?([^/]+)$/, '$1 $2').replace(/^.*\/(packages|apps)\//, '$1/')}:${lineNumber + 1}`

function cpuBy(profile: CpuProfile, key: (frame: CallFrame) => string): Map<string, number> {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  const totals = new Map<string, number>()
  profile.samples.forEach((id, i) => {
    const name = key(frames.get(id) as CallFrame)
    totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0))
  })
  return totals
}

function bytesBy(profile: HeapProfile): Map<string, number> {
  const sizes = new Map<number, number>()
  for (const { nodeId, size } of profile.samples) sizes.set(nodeId, (sizes.get(nodeId) ?? 0) + size)
  const totals = new Map<string, number>()
  const stack = [profile.head]
  for (let node = stack.pop(); node; node = stack.pop()) {
    const name = frameName(node.callFrame)
    totals.set(name, (totals.get(name) ?? 0) + (sizes.get(node.id) ?? 0))
    stack.push(...node.children)
  }
  return totals
}

/** Rows of paid minus free per request, largest growth first. */
export function growth(
  free: Map<string, number>,
  paid: Map<string, number>,
  perRequest: number,
): Array<{ name: string; free: number; paid: number; added: number }> {
  return [...new Set([...free.keys(), ...paid.keys()])]
    .map((name) => {
      const f = (free.get(name) ?? 0) / perRequest
      const p = (paid.get(name) ?? 0) / perRequest
      return { name, free: f, paid: p, added: p - f }
    })
    .sort((a, b) => b.added - a.added)
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      adapter: { type: 'string', default: 'express' },
      ledger: { type: 'string', default: 'memory' },
      requests: { type: 'string', default: '40000' },
      top: { type: 'string', default: '25' },
      dir: { type: 'string', default: join(tmpdir(), 'stripe402-profiles') },
    },
  })
  const requests = Number(values.requests)
  const dir = values.dir
  await rm(dir, { recursive: true, force: true })
  const emulator = await startStripeEmulator({ port: 0 })
  const stripe = { url: emulator.url, publishableKey: emulator.keys().publishableKey }
  const cpu: Record<string, CpuProfile> = {}
  const heap: Record<string, HeapProfile> = {}
  try {
    for (const route of ['free', 'paid'] as const) {
      const out = join(dir, route)
      await mkdir(out, { recursive: true })
      const server = await startServerProcess({
        adapter: values.adapter as AdapterName,
        ledger: values.ledger as LedgerName,
        stripeApiBase: stripe.url,
        nodeFlags: [
          '--cpu-prof',
          `--cpu-prof-dir=${out}`,
          '--cpu-prof-interval=100',
          '--import',
          join(import.meta.dirname, 'heap-sampling.ts'),
        ],
        env: { STRIPE402_HEAP_PROFILE: join(out, 'heap.json') },
      })
      if (typeof server === 'string') throw new Error(server)
      try {
        const { clientId } = await payOnce(
          server.url,
          await createPaymentMethod(stripe.url, stripe.publishableKey),
        )
        const payment = encodePaymentPayload({ stripe402Version: 1, clientId, maxAmount: 100 })
        const target =
          route === 'free'
            ? { url: `${server.url}${FREE_PATH}` }
            : { url: `${server.url}${PAID_PATH}`, headers: { [HEADERS.PAYMENT]: payment } }
        const load = await runLoad({ ...target, connections: 32, amount: requests })
        process.stderr.write(
          `${route}: ${load.responses} responses, ${Math.round((load.responses / load.elapsedMs) * 1000)} req/s\n`,
        )
      } finally {
        await server.stop()
      }
      const cpuFile = (await readdir(out)).find((name) => name.endsWith('.cpuprofile'))
      if (!cpuFile) throw new Error(`no CPU profile in ${out}`)
      cpu[route] = JSON.parse(await readFile(join(out, cpuFile), 'utf8'))
      heap[route] = JSON.parse(await readFile(join(out, 'heap.json'), 'utf8'))
    }
  } finally {
    await emulator.close()
  }
  const free = { cpu: cpu.free as CpuProfile, heap: heap.free as HeapProfile }
  const paid = { cpu: cpu.paid as CpuProfile, heap: heap.paid as HeapProfile }
  const top = Number(values.top)
  const print = (title: string, rows: ReturnType<typeof growth>, unit: string, digits: number) => {
    process.stdout.write(
      `\n${title}\n${'added'.padStart(9)} ${'free'.padStart(9)} ${'paid'.padStart(9)}  (${unit} per request)\n`,
    )
    for (const row of rows)
      process.stdout.write(
        `${row.added.toFixed(digits).padStart(9)} ${row.free.toFixed(digits).padStart(9)} ${row.paid.toFixed(digits).padStart(9)}  ${row.name}\n`,
      )
  }
  process.stdout.write(
    `${values.adapter} × ${values.ledger}, ${requests} requests per route (the payment of the setup call included)\n`,
  )
  print(
    'CPU profile by area',
    growth(cpuBy(free.cpu, areaOf), cpuBy(paid.cpu, areaOf), requests),
    'µs',
    1,
  )
  print(
    'CPU profile, functions that grow most',
    growth(cpuBy(free.cpu, frameName), cpuBy(paid.cpu, frameName), requests).slice(0, top),
    'µs',
    2,
  )
  const bytes = growth(bytesBy(free.heap), bytesBy(paid.heap), requests)
  const total = (rows: typeof bytes, pick: 'free' | 'paid') =>
    rows.reduce((n, row) => n + row[pick], 0)
  process.stdout.write(
    `\nBytes allocated per request (sampled): free ${Math.round(total(bytes, 'free'))}, paid ${Math.round(total(bytes, 'paid'))}\n`,
  )
  print('Allocations, functions that grow most', bytes.slice(0, top), 'bytes', 0)
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
