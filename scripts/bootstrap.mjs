#!/usr/bin/env node
// Makes `npm run demo` and `npm test` work on a fresh clone with only Node 20 and npm:
// installs the pnpm workspace once (pnpm 10 through npx when it is not installed).
import { execSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
if (!existsSync(join(root, 'node_modules', '.modules.yaml'))) {
  let pnpm = 'npx --yes pnpm@10'
  try {
    if (execSync('pnpm --version', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().startsWith('10.')) pnpm = 'pnpm'
  } catch {
    // not installed: npx fetches it
  }
  console.error(`[stripe402] installing the workspace with ${pnpm} (first run only)…`)
  execSync(`${pnpm} install --frozen-lockfile`, {
    cwd: root,
    stdio: 'inherit',
    // pnpm's switch to the `packageManager` version fails signature checks on some registries.
    env: { ...process.env, npm_config_manage_package_manager_versions: 'false' },
  })
}
