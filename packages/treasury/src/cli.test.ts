// The CLI against a running treasury: create an agent (its handle printed once), report, revoke;
// and the agent's side, `stripe402 fetch --treasury`, from @stripe402/client.
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, useStack } from '../test/support/stack'
import { main } from './cli'
import type { Io } from './cli/io'
import { createTreasuryFetch, getTreasuryInfo } from './client'

const stack = useStack()

async function cli(argv: string[], env: Record<string, string> = {}) {
  let stdout = ''
  let stderr = ''
  const io: Io = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { STRIPE402_TREASURY_URL: stack.url, STRIPE402_TREASURY_ADMIN_TOKEN: ADMIN_TOKEN, ...env },
  }
  const code = await main(argv, io)
  return { code, stdout, stderr }
}

/** The client's `stripe402` command, run from its source as a shell would run it. */
const clientDir = dirname(createRequire(import.meta.url).resolve('@stripe402/client/package.json'))
const tsx = join(clientDir, '..', '..', 'node_modules', '.bin', 'tsx')
function agentCli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(
      tsx,
      ['src/cli.ts', ...args],
      { cwd: clientDir, env: { PATH: process.env.PATH ?? '', HOME: clientDir, ...env } },
      (error, stdout, stderr) =>
        done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    )
  })
}

describe('stripe402 fetch --treasury (the agent, from @stripe402/client)', () => {
  it('pays through the treasury with the handle from the environment, within maxPrice and the caps', async () => {
    const agent = await stack.agent()
    const env = { STRIPE402_TREASURY_HANDLE: agent.handle }
    const paid = await agentCli(
      ['fetch', `${stack.api.url}/api/joke`, '--treasury', stack.url],
      env,
    )
    expect(paid.code).toBe(0)
    expect(JSON.parse(paid.stdout)).toEqual({ joke: 'A 402 walks into a bar.' })
    expect(paid.stderr).toMatch(/used \$0\.05 of credits · charged \$5\.00 to the card/)
    expect(paid.stderr).toMatch(/left under this agent's caps/)

    const capped = await agentCli(['fetch', `${stack.api.url}/api/joke`, '--max-amount', '100'], {
      ...env,
      STRIPE402_TREASURY_URL: stack.url,
    })
    expect(capped.code).toBe(2)
    expect(capped.stderr).toMatch(/cap_reached/)

    const revoke = await stack.admin(`agents/${agent.id}/revoke`, { method: 'POST' })
    expect(revoke.status).toBe(200)
    const revoked = await agentCli(
      ['fetch', `${stack.api.url}/api/joke`, '--treasury', stack.url],
      env,
    )
    expect(revoked.code).not.toBe(0)
    expect(revoked.stderr).toMatch(/revoked/)
    const noHandle = await agentCli(
      ['fetch', `${stack.api.url}/api/joke`, '--treasury', stack.url],
      {},
    )
    expect(noHandle).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('STRIPE402_TREASURY_HANDLE'),
    })
    const mixed = await agentCli(
      ['fetch', `${stack.api.url}/api/joke`, '--treasury', stack.url, '--budget-daily', '5'],
      env,
    )
    expect(mixed).toMatchObject({ code: 1, stderr: expect.stringContaining('drop --budget-daily') })
    for (const run of [paid, capped, revoked, noHandle, mixed])
      expect(run.stdout + run.stderr).not.toContain(agent.handle)
  })
})

describe('stripe402-treasury', () => {
  it('creates an agent, reports its spend against its caps, and revokes it', async () => {
    const created = await cli([
      'agent',
      'create',
      'scraper',
      '--origin',
      stack.api.url,
      '--per-call',
      '1000',
      '--daily',
      '5000',
      '--allow-private-network',
    ])
    expect(created.code).toBe(0)
    const handle = created.stdout.trim()
    expect(handle).toMatch(/^s402a_/)
    expect(created.stderr).toContain('shown once')
    expect(created.stderr).not.toContain(handle)

    const pay = createTreasuryFetch({ url: stack.url, handle })
    expect((await pay(`${stack.api.url}/api/joke`)).status).toBe(200)

    const report = await cli(['report', '--agent', 'scraper'])
    expect(report.code).toBe(0)
    expect(report.stdout).toMatch(/scraper\s+active\s+\$0\.05 \/ \$0\.50\s+\$0\.05\s+\$0\.05/)
    expect(report.stdout).toContain(
      'usd: card charged $5.00 = agents spent $0.05 + credits held $4.95',
    )
    expect(report.stdout).toContain(`${stack.api.url} GET /api/joke  1 call, $0.05`)
    const csv = await cli(['report', '--csv'])
    expect(csv.stdout.split('\r\n')[0]).toMatch(/^call_id,agent_id,agent_name/)
    expect(JSON.parse((await cli(['report', '--json'])).stdout).accounts.balanced).toBe(true)

    const revoked = await cli(['agent', 'revoke', 'scraper'])
    expect(revoked).toMatchObject({ code: 0, stdout: expect.stringContaining('Revoked scraper') })
    const refused = await pay(`${stack.api.url}/api/joke`)
    expect(refused.status).toBe(403)
    expect(getTreasuryInfo(refused)?.error).toBe('agent_revoked')
    for (const out of [report, csv, revoked]) expect(out.stdout + out.stderr).not.toContain(handle)
  })

  it('says what is wrong, and exits 1, without echoing secrets', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['agent', 'create', 'x', '--origin', stack.api.url], {}, /at least one cap/],
      [['agent', 'create', 'x', '--daily', '5'], {}, /at least one --origin/],
      [
        ['agent', 'create', 'x', '--daily', '5.5', '--origin', stack.api.url],
        {},
        /whole number of units/,
      ],
      [['agent', 'revoke', 'nobody'], {}, /No agent has that id or name/],
      [
        ['agent', 'revoke', 'x'],
        { STRIPE402_TREASURY_ADMIN_TOKEN: 'wrong-token-wrong-token-wrong' },
        /admin token/,
      ],
      [['report', '--bogus'], {}, /bogus/],
      [['serve'], { STRIPE402_TREASURY_ADMIN_TOKEN: 'short' }, /24 characters/],
      [['serve'], { STRIPE402_CARD: '' }, /STRIPE402_CARD/],
      [['serve'], { STRIPE402_CARD: '5555555555554444|13|2034|123' }, /expiry month/],
      [['nope'], {}, /Unknown command/],
    ]
    for (const [argv, env, message] of cases) {
      const out = await cli(argv, env)
      expect({ argv, code: out.code }).toEqual({ argv, code: 1 })
      expect(out.stderr).toMatch(message)
      expect(out.stderr).not.toContain('5555555555554444')
      expect(out.stderr).not.toContain('wrong-token')
    }
  })
})
