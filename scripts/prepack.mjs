#!/usr/bin/env node
// The `prepack` of every public package: refuses to pack unless pnpm runs it. Only pnpm applies
// `publishConfig`, so `npm pack` or `npm publish` would ship `exports` that point at `src/`.
const agent = process.env.npm_config_user_agent ?? ''
// npm takes a user agent inherited from a pnpm script as its own, so its exec path decides too.
const byNpm = /(^|[\\/])npm-cli\.js$/.test(process.env.npm_execpath ?? '')
if (!agent.startsWith('pnpm/') || byNpm) {
  const name = process.env.npm_package_name ?? 'this package'
  const tool = byNpm ? 'npm' : agent.split('/')[0] || 'this tool'
  console.error(
    `${name}: pack and publish with pnpm (pnpm pack, pnpm publish), not ${tool}: only pnpm applies publishConfig, without which the exports point at src/.`,
  )
  process.exit(1)
}
