/** The shell commands in the README run, against the example API and the emulator they name. */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PostgresLedger } from '@stripe402/server'
import { startApi, type RunningApi } from '@stripe402/example/server'
import { startStripeEmulator, type StripeEmulator } from '@stripe402/stripe-emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const BINS: Record<string, string> = {
  stripe402: join(root, 'packages/client/bin/stripe402.js'),
  'stripe402-conformance': join(root, 'packages/conformance/bin/stripe402-conformance.js'),
}

/** `npx <bin> …` lines of the README's sh blocks, with their leading VAR='…' assignments. */
function readmeCommands(): string[] {
  const text = readFileSync(join(root, 'README.md'), 'utf8')
  const blocks = [...text.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((m) => m[1]!)
  return blocks.flatMap((b) => b.split('\n')).filter((line) => /\bnpx (stripe402|stripe402-conformance) /.test(line))
}

/** Splits a POSIX-ish command line: quotes may sit inside a word (VAR='a b'); no expansions. */
function words(line: string): string[] {
  return [...line.matchAll(/(?:'[^']*'|"[^"]*"|[^\s'"]+)+/g)].map((m) => m[0].replace(/'([^']*)'|"([^"]*)"/g, '$1$2'))
}

function run(line: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const parts = words(line)
  const vars: Record<string, string> = {}
  while (parts[0] && /^[A-Z0-9_]+=/.test(parts[0])) {
    const [name, ...value] = parts.shift()!.split('=')
    vars[name!] = value.join('=')
  }
  expect(parts.shift()).toBe('npx')
  const bin = BINS[parts.shift()!]!
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...parts], { env: { ...env, ...vars }, cwd: root })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('README shell commands', () => {
  let emulator: StripeEmulator
  let api: RunningApi
  let ledger: PostgresLedger
  const wallet = mkdtempSync(join(tmpdir(), 'stripe402-readme-'))

  beforeAll(async () => {
    emulator = await startStripeEmulator({ port: 0 })
    ledger = await PostgresLedger.embedded()
    api = await startApi({
      stripe: { ...emulator.keys('readme'), apiBase: emulator.url },
      ledger: { ledger, label: 'PGlite in memory', close: () => ledger.close() },
    })
  })
  afterAll(async () => {
    await api?.close()
    await ledger?.close()
    await emulator?.close()
    rmSync(wallet, { recursive: true, force: true })
  })

  const commands = readmeCommands()
  it('finds the CLI and conformance commands', () => {
    expect(commands.some((c) => c.includes('npx stripe402 fetch'))).toBe(true)
    expect(commands.some((c) => c.includes('npx stripe402-conformance'))).toBe(true)
  })

  it.each(commands)('runs `%s`', async (command) => {
    // The README names the example's fixed ports; the test runs on free ones.
    const line = command.replaceAll('http://127.0.0.1:4021', api.url).replaceAll('http://127.0.0.1:12111', emulator.url)
    const { code, stdout, stderr } = await run(line, { ...process.env, STRIPE402_WALLET: join(wallet, 'wallet.json') })
    expect({ code, stderr: code === 0 ? '' : stderr, stdout: code === 0 ? '' : stdout }).toEqual({ code: 0, stderr: '', stdout: '' })
    expect(stdout.length).toBeGreaterThan(0)
  })
})
