// The demo's second act runs as the README tells it: the scout stops at its cap, the analyst at its revocation, and the accounts add up.
import { expect, it } from 'vitest'
import { runDemo } from '../demo/two-agents'

it('stops one agent at its cap and the other at its revocation, and the accounts add up', async () => {
  const lines: string[] = []
  const { runs, accounts } = await runDemo((line) => lines.push(line))
  expect(runs).toEqual({
    scout: ['paid', 'paid', 'paid', 'paid', 'cap_reached'],
    analyst: ['paid', 'paid', 'paid', 'agent_revoked'],
  })
  expect(accounts).toMatchObject({
    charged: { usd: 50_000 },
    spent: { usd: 3_500 },
    creditsHeld: { usd: 46_500 },
    balanced: true,
  })
  expect(lines).toContain('Card charged $5.00 = agents spent $0.35 + credits held $4.65')
  expect(lines).toContain('  analyst: revoked, spent $0.15 today')
})
