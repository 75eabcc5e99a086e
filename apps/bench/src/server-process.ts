/** Starts the server under test in its own process (tsx) and talks to it over IPC. */
import { type ChildProcess, fork } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AdapterName, ChildMessage, LedgerName, ParentMessage, ServerStats } from './ipc'

const HERE = dirname(fileURLToPath(import.meta.url))
const APP_DIR = join(HERE, '..')

export interface ServerProcess {
  url: string
  pid: number
  /** How the ledger is set up, in the server's words. */
  ledger: string
  stats(): Promise<ServerStats>
  balance(clientId: string): Promise<number | null>
  /** Closes the server and removes the ledger's schema / keys, then waits for the process to exit. */
  stop(): Promise<void>
}

type Ask = { type: 'stats' } | { type: 'balance'; clientId: string } | { type: 'stop' }

/** The server, or the reason it cannot run here (its ledger's service is down). */
export async function startServerProcess(options: {
  adapter: AdapterName
  ledger: LedgerName
  stripeApiBase: string
  timeoutMs?: number
  /** The bench app of another checkout (its apps/bench folder), to run that code's server: how `ab.ts` compares two trees. */
  appDir?: string
  /** More Node flags for the server (e.g. `--cpu-prof`), and environment variables. */
  nodeFlags?: string[]
  env?: Record<string, string>
  /** More arguments for server.ts (`--shared=…`, `--pool=…`). */
  serverArgs?: string[]
}): Promise<ServerProcess | string> {
  const args = [
    `--adapter=${options.adapter}`,
    `--ledger=${options.ledger}`,
    `--stripe-api=${options.stripeApiBase}`,
    ...(options.serverArgs ?? []),
  ]
  const appDir = options.appDir ?? APP_DIR
  const child = fork(join(appDir, 'src', 'server.ts'), args, {
    cwd: appDir,
    execArgv: ['--import', 'tsx', ...(options.nodeFlags ?? [])],
    ...(options.env && { env: { ...process.env, ...options.env } }),
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )

  const first = await new Promise<ChildMessage | Error>((resolve) => {
    const timer = setTimeout(
      () =>
        resolve(
          new Error(
            `server ${options.adapter}/${options.ledger} not ready after ${options.timeoutMs ?? 60_000} ms`,
          ),
        ),
      options.timeoutMs ?? 60_000,
    )
    child.once('message', (message: ChildMessage) => {
      clearTimeout(timer)
      resolve(message)
    })
    void exited.then((code) => {
      clearTimeout(timer)
      resolve(
        new Error(
          `server ${options.adapter}/${options.ledger} exited with code ${code} before it was ready`,
        ),
      )
    })
  })
  if (first instanceof Error) {
    child.kill()
    throw first
  }
  if (first.type === 'unavailable') {
    await exited
    return first.reason
  }
  if (first.type !== 'ready')
    throw new Error(`unexpected first message from the server: ${JSON.stringify(first)}`)
  return connect(child, first.url, first.ledger, exited)
}

function connect(
  child: ChildProcess,
  url: string,
  ledger: string,
  exited: Promise<number | null>,
): ServerProcess {
  let seq = 0
  const pending = new Map<number, (message: ChildMessage) => void>()
  child.on('message', (message: ChildMessage) => {
    if ('id' in message) pending.get(message.id)?.(message)
  })
  // A server that dies mid-question must not leave the bench waiting forever.
  void exited.then((code) => {
    for (const answer of pending.values())
      answer({ id: 0, type: 'error', message: `server process exited (code ${code})` })
  })
  const ask = (question: Ask): Promise<ChildMessage> =>
    new Promise((resolve, reject) => {
      const id = ++seq
      pending.set(id, (answer) => {
        pending.delete(id)
        if (answer.type === 'error') reject(new Error(answer.message))
        else resolve(answer)
      })
      if (!child.connected) return reject(new Error('server process is gone'))
      child.send({ id, ...question } satisfies ParentMessage)
    })
  return {
    url,
    pid: child.pid ?? -1,
    ledger,
    async stats() {
      const answer = await ask({ type: 'stats' })
      if (answer.type !== 'stats') throw new Error(`expected stats, got ${answer.type}`)
      return answer.stats
    },
    async balance(clientId) {
      const answer = await ask({ type: 'balance', clientId })
      if (answer.type !== 'balance') throw new Error(`expected balance, got ${answer.type}`)
      return answer.balance
    },
    async stop() {
      if (child.exitCode !== null) return
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      try {
        await ask({ type: 'stop' })
      } catch {
        child.kill('SIGTERM')
      }
      await exited
      clearTimeout(timer)
    },
  }
}
