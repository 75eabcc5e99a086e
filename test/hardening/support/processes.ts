/** Real processes for the hardening suites: paid servers run with tsx, a private redis-server, a cuttable TCP proxy. */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import {
  createServer as createNetServer,
  connect,
  type Server as NetServer,
  type Socket,
} from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { PaidServerOptions } from './paid-server'

export type { PaidServerOptions }

const TEST_DIR = join(import.meta.dirname, '..', '..')
const SCRIPT = join(import.meta.dirname, 'paid-server.ts')

/** A free TCP port on 127.0.0.1 (free when asked; good enough for a test that binds it next). */
export async function freePort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export interface ServerProcess {
  url: string
  control: string
  pid: number
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string
  /** Resolves when the process has exited, with how. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Handler invocations of paid routes in this process. */
  hits(): Promise<number>
  reconcile(): Promise<{ checked: number; credited: number; alreadyCredited: number }>
  /** Turns the process's ledger outage on or off (the store itself stays up). */
  ledger(state: 'down' | 'up'): Promise<void>
  /** SIGKILL, then waits for the exit: nothing in the process runs again. */
  kill(): Promise<void>
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>
}

/** Spawns `paid-server.ts` under tsx, collecting everything it writes to stdout and stderr. */
function spawnPaidServer(
  options: PaidServerOptions,
  env: Record<string, string>,
): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    cwd: TEST_DIR,
    env: { ...process.env, ...env, STRIPE402_PAID_SERVER: JSON.stringify(options) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  return { child, output: () => output }
}

/** Spawns `paid-server.ts` under tsx and waits for its READY line (or its death). */
export async function startServerProcess(
  options: PaidServerOptions,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const { child, output } = spawnPaidServer(options, env)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const ready = await new Promise<{ url: string; control: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`paid server did not start within 30 s:\n${output()}`)),
      30_000,
    )
    const onData = () => {
      const line = /^READY (.*)$/m.exec(output())
      if (!line) return
      clearTimeout(timer)
      child.stdout!.off('data', onData)
      resolve(JSON.parse(line[1]!) as { url: string; control: string })
    }
    child.stdout!.on('data', onData)
    void exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(new Error(`paid server exited (${code ?? signal}) before it was ready:\n${output()}`))
    })
  })
  return {
    ...ready,
    pid: child.pid!,
    output,
    exited,
    async hits() {
      return ((await (await fetch(`${ready.control}/hits`)).json()) as { hits: number }).hits
    },
    async reconcile() {
      const res = await fetch(`${ready.control}/reconcile`, { method: 'POST' })
      const body = (await res.json()) as {
        checked: number
        credited: number
        alreadyCredited: number
        error?: string
      }
      if (!res.ok) throw new Error(`reconcile failed: ${body.error}`)
      return body
    },
    async ledger(state) {
      const res = await fetch(`${ready.control}/ledger/${state}`, { method: 'POST' })
      if (!res.ok) throw new Error(`could not turn the ledger ${state}: ${res.status}`)
    },
    async kill() {
      child.kill('SIGKILL')
      await exited
    },
    stop: () => stopChild(child, exited),
  }
}

/** Runs the paid server expecting it to refuse to start; resolves with its exit code and output. */
export async function runServerProcessToExit(
  options: PaidServerOptions,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const { child, output } = spawnPaidServer(options, env)
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  clearTimeout(timer)
  return { code, output: output() }
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
}

export interface PrivateRedis {
  url: string
  port: number
  /** Stops the server hard (SIGKILL): connections drop mid-command. */
  kill(): Promise<void>
  /** Starts it again on the same port with the same data directory. */
  restart(): Promise<void>
  close(): Promise<void>
}

/**
 * A redis-server of our own on a free port, so stopping it cannot disturb the machine's shared
 * Redis. No RDB snapshots; an append-only file fsynced on every write, so a SIGKILL and restart
 * keeps the ledger (a restart that lost it would test data loss, not an outage).
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'stripe402-redis-'))
  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  const start = async () => {
    const proc = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--dir',
        dir,
        '--daemonize',
        'no',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    child = proc
    exited = new Promise((resolve) => proc.once('exit', () => resolve()))
    let log = ''
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`redis-server did not start:\n${log}`)),
        10_000,
      )
      proc.stdout!.on('data', (chunk: Buffer) => {
        log += chunk.toString()
        if (/ready to accept connections/i.test(log)) {
          clearTimeout(timer)
          resolve()
        }
      })
      proc.once('exit', () => reject(new Error(`redis-server exited:\n${log}`)))
    })
  }
  await start()
  const kill = async () => {
    child?.kill('SIGKILL')
    await exited
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    restart: start,
    async close() {
      await kill()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface TcpProxy {
  port: number
  /** Destroys every open connection and refuses new ones: the database is gone. */
  cut(): void
  /** Accepts and forwards again. */
  restore(): void
  close(): Promise<void>
}

/** Forwards 127.0.0.1:<port> to `target`; `cut()` makes the target unreachable without touching it. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  let open = true
  const server: NetServer = createNetServer((client) => {
    if (!open) {
      client.destroy()
      return
    }
    const upstream = connect(target)
    sockets.add(client)
    sockets.add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      open = false
      for (const socket of sockets) socket.destroy()
      sockets.clear()
    },
    restore() {
      open = true
    },
    close: () =>
      new Promise<void>((resolve) => {
        open = false
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
