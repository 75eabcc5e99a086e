/** Starts the bundled paid API in Bun, Deno (child processes) or workerd (Miniflare), listening on 127.0.0.1. */
import { type ChildProcess, spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { createInterface } from 'node:readline'
import type { PaidApiConfig } from '../app/paid-api'
import { bundle } from './bundle'
import type { Runtime } from './runtimes'

export interface RuntimeServer {
  url: string
  /** As the runtime reported itself, e.g. `Bun 1.4.5`. */
  version: string
  close(): Promise<void>
}

/** Runs `binary args…` and resolves once the entry prints `{"listening": port}` on stdout. */
function startChild(binary: string, args: string[], cwd: string): Promise<RuntimeServer> {
  const child = spawn(binary, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
  })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    // Kept for the failure message; a runtime that logs a lot must not grow this without bound.
    stderr = (stderr + chunk).slice(-8_000)
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop(child)
      reject(new Error(`${binary} did not start within 30 s:\n${stderr}`))
    }, 30_000)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`${binary} exited (${code ?? signal}) before listening:\n${stderr}`))
    })
    createInterface({ input: child.stdout }).on('line', (line) => {
      let ready: { listening?: number; runtime?: string }
      try {
        ready = JSON.parse(line)
      } catch {
        return
      }
      if (typeof ready.listening !== 'number') return
      clearTimeout(timer)
      resolve({
        url: `http://127.0.0.1:${ready.listening}`,
        version: ready.runtime ?? binary,
        close: () => stop(child),
      })
    })
  })
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

/** The binary of a runtime found available (the tests of one that is not are skipped). */
function binaryOf(runtime: Runtime): string {
  if (!runtime.binary) throw new Error(`${runtime.name} is unavailable: ${runtime.reason}`)
  return runtime.binary
}

export async function startBun(runtime: Runtime, config: PaidApiConfig): Promise<RuntimeServer> {
  const file = await bundle('bun', 'bun', { STRIPE402_RUNTIME_CONFIG: config })
  return removingBundle(file, startChild(binaryOf(runtime), ['--no-install', file], dirname(file)))
}

export async function startDeno(runtime: Runtime, config: PaidApiConfig): Promise<RuntimeServer> {
  const file = await bundle('deno', 'deno', { STRIPE402_RUNTIME_CONFIG: config })
  // Loopback only, no files, no prompt. The engine reads `process.env.NODE_ENV` (production
  // refuses weak config), which Deno gates behind --allow-env like any variable.
  const flags = [
    '--no-config',
    '--no-lock',
    '--no-prompt',
    '--allow-net=127.0.0.1',
    '--allow-env=NODE_ENV',
  ]
  return removingBundle(file, startChild(binaryOf(runtime), ['run', ...flags, file], dirname(file)))
}

/** One Worker module in workerd, through Miniflare, served over HTTP like `wrangler dev`. */
export async function startWorker(
  entry: 'worker' | 'client-worker',
  define: Record<string, unknown>,
  compatibilityFlags: string[],
): Promise<RuntimeServer> {
  const { Miniflare, supportedCompatibilityDate } = await import('miniflare')
  const scriptPath = await bundle(entry, 'workerd', define)
  const mf = new Miniflare({
    modules: true,
    scriptPath,
    // Module names are paths relative to this root; the bundle lives in a temporary folder.
    modulesRoot: dirname(scriptPath),
    compatibilityDate: supportedCompatibilityDate,
    compatibilityFlags,
    host: '127.0.0.1',
    port: 0,
  })
  const started = mf.ready.then((url) => ({
    url: url.origin,
    version: `workerd ${supportedCompatibilityDate}`,
    close: () => mf.dispose(),
  }))
  return removingBundle(scriptPath, started)
}

/** Deletes the bundle's temporary folder when the server closes, or when it failed to start. */
async function removingBundle(
  file: string,
  starting: Promise<RuntimeServer>,
): Promise<RuntimeServer> {
  const remove = () => rmSync(dirname(file), { recursive: true, force: true })
  try {
    const server = await starting
    return { ...server, close: () => server.close().finally(remove) }
  } catch (error) {
    remove()
    throw error
  }
}
