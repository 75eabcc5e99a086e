/**
 * The README's first hour, end to end, as a newcomer runs it: the demo, then the example API
 * started alone, a paid fetch with the CLI and the conformance CLI twice in a row against it (both
 * PASS), then the reset the README describes. Real processes, on one data directory; the commands
 * come from the README itself, with its fixed ports swapped for free ones.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { blocksOf, type PackageJson, readJson, root, words } from './blocks'

const tsx = join(root, 'node_modules', '.bin', 'tsx')
const data = mkdtempSync(join(tmpdir(), 'stripe402-first-hour-'))
// The agent's wallet lives apart from the API's data: resetting the API leaves it as it was.
const home = mkdtempSync(join(tmpdir(), 'stripe402-first-hour-wallet-'))
const wallet = join(home, 'wallet.json')
afterAll(() => {
  rmSync(data, { recursive: true, force: true })
  rmSync(home, { recursive: true, force: true })
})

/** The environment of a fresh shell: no Stripe keys, no Redis or PostgreSQL, the test's data directory. */
function env(more: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base = { ...process.env }
  for (const name of [
    'REDIS_URL',
    'DATABASE_URL',
    'STRIPE_SECRET_KEY',
    'STRIPE_PUBLISHABLE_KEY',
    'STRIPE_API_BASE',
    'STRIPE402_CARD',
    'PORT',
  ])
    delete base[name]
  return { ...base, STRIPE402_DATA_DIR: data, STRIPE402_WALLET: wallet, ...more }
}

interface Ran {
  code: number | null
  stdout: string
  stderr: string
}

function run(command: string, args: string[], vars: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: env(vars) })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** A root script as `npm run <name>` runs it once bootstrap.mjs has installed the workspace (bootstrap.test.ts covers that part). */
function script(name: string): string[] {
  const line = readJson<PackageJson>(join(root, 'package.json')).scripts?.[name] ?? ''
  const [node, bootstrap, bin, ...args] = words(line)
  expect([node, bootstrap, bin]).toEqual(['node', 'scripts/bootstrap.mjs', 'tsx'])
  return args
}

/** `npm run start:example`, on free ports (the API on `port` when given); resolves with its URLs once it says where it listens. */
async function startExample(port = 0): Promise<{
  api: string
  stripe: string
  stop: () => Promise<{ code: number | null; stderr: string }>
}> {
  const child: ChildProcess = spawn(tsx, script('start:example'), {
    cwd: root,
    env: env({ PORT: String(port), STRIPE_EMULATOR_PORT: '0' }),
  })
  let stdout = ''
  let stderr = ''
  const exit = new Promise<number | null>((resolve) => child.on('close', resolve))
  child.stderr!.on('data', (d) => (stderr += d))
  const urls = await new Promise<{ api: string; stripe: string }>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      stdout += d
      const api = /example API\s+(http:\/\/\S+)/.exec(stdout)?.[1]
      const stripe = /emulator at (http:\/\/\S+)/.exec(stdout)?.[1]
      if (api && stripe && stdout.includes('conformance')) resolve({ api, stripe })
    })
    void exit.then((code) => reject(new Error(`start:example exited ${code}: ${stderr}`)))
  })
  return {
    ...urls,
    // An operator's own start still warns of the example's public secret and missing webhook; nothing else.
    stop: async () => {
      child.kill('SIGTERM')
      return { code: await exit, stderr }
    },
  }
}

/** The README's line that starts with `prefix`, split into words, its fixed ports rewritten. */
function readmeLine(prefix: string, urls: { api: string; stripe: string }): string[] {
  const line = blocksOf(join(root, 'README.md'))
    .filter((b) => b.lang === 'sh')
    .flatMap((b) => b.code.split('\n'))
    .find((l) => words(l).join(' ').includes(prefix))
  expect(line, `README has a line with "${prefix}"`).toBeDefined()
  return words(
    (line ?? '')
      .replaceAll('http://127.0.0.1:4021', urls.api)
      .replaceAll('http://127.0.0.1:12111', urls.stripe),
  )
}

/** `VAR=value npx -p @stripe402/client stripe402 fetch …` as the README writes it: the vars, then the CLI's args. */
function clientCommand(line: string[]): { vars: Record<string, string>; args: string[] } {
  const vars: Record<string, string> = {}
  while (line[0] && /^[A-Z0-9_]+=/.test(line[0])) {
    const [name, ...value] = line.shift()!.split('=')
    vars[name!] = value.join('=')
  }
  expect(line.slice(0, 4)).toEqual(['npx', '-p', '@stripe402/client', 'stripe402'])
  return { vars, args: line.slice(4) }
}

/** Stopped with SIGTERM, the API exits 0, having printed no more than its two warnings to an operator. */
function quiet(stopped: { code: number | null; stderr: string }): void {
  const other = stopped.stderr
    .split('\n')
    .filter((l) => l && !/^\[stripe402\] (config secret is weak|no webhook configured)/.test(l))
  expect({ code: stopped.code, other }).toEqual({ code: 0, other: [] })
}

const clientBin = join(root, 'packages/client/bin/stripe402.js')
const conformanceBin = join(root, 'packages/conformance/bin/stripe402-conformance.js')

describe("the README's first hour", () => {
  it('demo, start the example, a paid fetch, conformance twice (PASS, PASS), reset', async () => {
    // 1. npm run demo: pays once, lives on credits, stops at its budget, says so in its summary.
    const demo = await run(tsx, script('demo'))
    expect(demo.code, demo.stderr).toBe(0)
    expect(demo.stderr).toBe('')
    expect(demo.stdout).toContain('[5/5] Summary')
    expect(demo.stdout).toMatch(/charged to the card\s+\$5\.00 in 1 top-up/)
    expect(demo.stdout).toMatch(/refused call \d+ \(.+\): budget_exceeded/)
    expect(demo.stdout).not.toContain('unconfirmed')
    const ledgerFile = join(data, 'ledger.sqlite')
    expect(existsSync(ledgerFile)).toBe(true)

    // 2. npm run start:example, on the ledger the demo left.
    const example = await startExample()
    try {
      // 3. The README's paid fetch with the CLI.
      const fetchLine = clientCommand(readmeLine('stripe402 fetch http', example))
      const paid = await run(process.execPath, [clientBin, ...fetchLine.args], fetchLine.vars)
      expect(paid.code, paid.stderr).toBe(0)
      expect(paid.stderr).toMatch(
        /^stripe402: 200 OK · used \$0\.05 of credits · charged \$5\.00 to the card \(pi_\w+\) · \$4\.95 of credits left at http:\/\/127\.0\.0\.1:\d+ · 2 requests\n$/,
      )
      const walletLine = clientCommand(readmeLine('stripe402 wallet', example))
      const shown = await run(process.execPath, [clientBin, ...walletLine.args])
      expect(shown.stdout).toMatch(/CREDITS LEFT\s+CHARGED\s+USED/)
      expect(shown.stdout).toMatch(/USD\s+\$4\.95\s+\$5\.00\s+\$0\.05\s+1\s+1/)

      // 4. The README's conformance command, twice in a row against the same running API.
      const audit = readmeLine('@stripe402/conformance http', example)
      expect(audit.slice(0, 2)).toEqual(['npx', '@stripe402/conformance'])
      for (const round of [1, 2]) {
        const ran = await run(process.execPath, [conformanceBin, ...audit.slice(2)])
        expect({ round, code: ran.code, stderr: ran.stderr }).toEqual({
          round,
          code: 0,
          stderr: '',
        })
        expect(ran.stdout).toMatch(/: PASS \(every MUST.* holds\)/)
      }
    } finally {
      quiet(await example.stop())
    }

    // 5. Reset, as the README says: stop the API, delete the data directory, start again.
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    expect(readme).toContain('To reset them, stop the API and delete that directory')
    rmSync(data, { recursive: true, force: true })
    // Same port, so the same origin the wallet paid, as with the README's fixed PORT.
    const fresh = await startExample(Number(new URL(example.api).port))
    try {
      expect(existsSync(ledgerFile)).toBe(true)
      // The wallet still holds a credential the new ledger never issued: its credits are gone, and it says so.
      const fetchLine = clientCommand(readmeLine('stripe402 fetch http', fresh))
      const again = await run(process.execPath, [clientBin, ...fetchLine.args], fetchLine.vars)
      expect(again.code, again.stderr).toBe(0)
      expect(again.stderr).toContain(
        `$4.95 of credits held at ${fresh.api} vanished: its server no longer knows this wallet's credential`,
      )
      expect(again.stderr).toMatch(
        /charged \$5\.00 to the card \(pi_\w+\) · \$4\.95 of credits left/,
      )
    } finally {
      quiet(await fresh.stop())
    }
  }, 240_000)
})
