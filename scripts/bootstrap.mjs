#!/usr/bin/env node
// Runs a root script (`node scripts/bootstrap.mjs vitest run`) on a machine with only Node and npm:
// under a supported Node (fetched from the npm registry when the running one is older than 22),
// with pnpm 10 on PATH (for turbo) and the workspace installed.
// Written for Node 18+ so that it can say what it does before anything else runs.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const MIN_NODE = 22
const FETCHED_NODE = '26'
const PNPM = '10'
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const cache =
  process.env.STRIPE402_TOOLS_DIR ||
  join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'stripe402')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const say = (line) => console.error(`[stripe402] ${line}`)

/** Installs `spec` (an npm package with a bin) into the cache once; returns its bin folder. */
function tool(name, spec) {
  const dir = join(cache, name)
  const bin = join(dir, 'node_modules', '.bin')
  if (!existsSync(join(bin, spec.split('@')[0]))) {
    mkdirSync(dir, { recursive: true })
    execFileSync(
      npm,
      [
        'install',
        '--prefix',
        dir,
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        spec,
      ],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    )
  }
  return bin
}

const withPath = (env, ...dirs) => ({ ...env, PATH: [...dirs, env.PATH ?? ''].join(delimiter) })

const major = Number(process.versions.node.split('.')[0])
if (major < MIN_NODE) {
  const bin = tool(`node-${FETCHED_NODE}`, `node@${FETCHED_NODE}`)
  const node = join(bin, 'node')
  const version = execFileSync(node, ['--version']).toString().trim()
  say(
    `Node ${process.version} is older than ${MIN_NODE}; running under Node ${version} from the npm registry (cached in ${dirname(dirname(bin))})`,
  )
  const run = spawnSync(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: withPath(process.env, bin),
  })
  process.exit(run.status ?? 1)
}

let env = {
  ...process.env,
  npm_config_manage_package_manager_versions: 'false',
  npm_config_update_notifier: 'false',
}
const hasPnpm = (() => {
  try {
    return execFileSync('pnpm', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'], env })
      .toString()
      .startsWith(`${PNPM}.`)
  } catch {
    return false
  }
})()
if (!hasPnpm) env = withPath(env, tool(`pnpm-${PNPM}`, `pnpm@${PNPM}`))

if (!existsSync(join(root, 'node_modules', '.modules.yaml'))) {
  say('installing the workspace with pnpm (first run only)…')
  execFileSync('pnpm', ['install', '--frozen-lockfile', '--reporter=silent'], {
    cwd: root,
    stdio: 'inherit',
    env,
  })
}

const [command, ...args] = process.argv.slice(2)
if (!command) process.exit(0)
const run = spawnSync(command, args, {
  stdio: 'inherit',
  env: withPath(env, join(root, 'node_modules', '.bin')),
})
if (run.error) {
  say(`could not run ${command}: ${run.error.message}`)
  process.exit(1)
}
process.exit(run.status ?? (run.signal ? 1 : 0))
