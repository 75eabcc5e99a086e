// The CLI against a running treasury: create an agent (its handle printed once), report, revoke.
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
