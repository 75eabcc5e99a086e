/** scripts/prepack.mjs: a public package packs only under pnpm, the one packer that applies publishConfig. */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { root, workspace } from './blocks'

const publicPackages = workspace.filter((p) => p.json.name !== '' && !p.json.private)
const protocol = join(root, 'packages', 'protocol')
const out = mkdtempSync(join(tmpdir(), 'stripe402-pack-'))
afterAll(() => rmSync(out, { recursive: true, force: true }))

/** The environment of a shell, without what a pnpm or npm script running this test passed down. */
const shell = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)),
)
const hasPnpm = spawnSync('pnpm', ['--version'], { env: shell }).status === 0

describe('prepack', () => {
  it('is the prepack of every public package', () => {
    expect(publicPackages.length).toBeGreaterThanOrEqual(8)
    const scripts = publicPackages.map((p) => [p.json.name, p.json.scripts?.prepack])
    expect(scripts).toEqual(
      publicPackages.map((p) => [p.json.name, 'node ../../scripts/prepack.mjs']),
    )
  })

  it('refuses npm pack with one line that says to use pnpm, and writes no tarball', () => {
    const ran = spawnSync('npm', ['pack', '--pack-destination', out], {
      cwd: protocol,
      env: { ...shell, npm_config_update_notifier: 'false' },
      timeout: 120_000,
    })
    expect(ran.status).not.toBe(0)
    expect(ran.stderr.toString()).toContain(
      '@stripe402/protocol: pack and publish with pnpm (pnpm pack, pnpm publish), not npm:',
    )
    expect(readdirSync(out)).toEqual([])
  })

  it.skipIf(!hasPnpm)('lets pnpm pack write a tarball whose exports point at dist', () => {
    const ran = spawnSync('pnpm', ['pack', '--pack-destination', out], {
      cwd: protocol,
      env: { ...shell, npm_config_manage_package_manager_versions: 'false' },
      timeout: 120_000,
    })
    expect(ran.status, ran.stderr.toString()).toBe(0)
    const [tgz] = readdirSync(out)
    const manifest = spawnSync('tar', ['-xzOf', join(out, tgz!), 'package/package.json'])
    const json = JSON.parse(manifest.stdout.toString())
    expect(json.exports['.'].import.default).toBe('./dist/index.js')
  })
})
