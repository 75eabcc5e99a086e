/** The root scripts' bootstrap: the README's commands on a machine whose Node is older than 22. */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const bootstrap = join(root, 'scripts', 'bootstrap.mjs')
/** Debian's Node 20, as on this project's CI machines; absent elsewhere. */
const oldNode = ['/usr/bin/node', '/usr/local/bin/node'].find((path) => {
  if (!existsSync(path)) return false
  const major = Number(
    spawnSync(path, ['-p', 'process.versions.node.split(".")[0]']).stdout.toString(),
  )
  return major > 0 && major < 22
})

function run(node: string) {
  const ran = spawnSync(node, [bootstrap, 'node', '-p', 'process.versions.node'], {
    cwd: root,
    env: { ...process.env, PATH: `${join(node, '..')}:/usr/bin:/bin` },
    timeout: 300_000,
  })
  return {
    code: ran.status,
    stdout: ran.stdout.toString().trim(),
    stderr: ran.stderr.toString().trim(),
  }
}

describe('scripts/bootstrap.mjs', () => {
  it('runs the command under the running Node when it is 22 or newer, and says nothing', () => {
    const ran = run(process.execPath)
    expect(ran).toEqual({ code: 0, stdout: process.versions.node, stderr: '' })
  })

  it.skipIf(!oldNode)(
    'reruns the command under a supported Node when the running one is too old, in one line',
    () => {
      if (!oldNode) console.log('skipped: no Node older than 22 on this machine')
      const ran = run(oldNode!)
      expect(ran.code).toBe(0)
      expect(Number(ran.stdout.split('.')[0])).toBeGreaterThanOrEqual(22)
      const lines = ran.stderr.split('\n')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(
        /^\[stripe402\] Node v20\.\d+\.\d+ is older than 22; running under Node v2\d\.\d+\.\d+ from the npm registry/,
      )
    },
  )
})
