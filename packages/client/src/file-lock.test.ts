// The lock file between processes sharing a wallet: one holder at a time, and a dead holder's lock does not block forever.
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { lockFile } from './file-lock'

/** Runs just before the lock code removes or renames a path: lets a test play another process acting in between. */
const hooks = vi.hoisted(() => ({
  beforeDestroy: undefined as ((path: string) => Promise<void>) | undefined,
}))
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>()
  return {
    ...fs,
    rm: async (...args: Parameters<typeof fs.rm>) => {
      await hooks.beforeDestroy?.(String(args[0]))
      return fs.rm(...args)
    },
    rename: async (...args: Parameters<typeof fs.rename>) => {
      await hooks.beforeDestroy?.(String(args[0]))
      return fs.rename(...args)
    },
  }
})
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stripe402-lock-'))
})
afterEach(async () => {
  hooks.beforeDestroy = undefined
  await rm(dir, { recursive: true, force: true })
})

describe('lockFile', () => {
  it('lets one holder in at a time', async () => {
    const path = join(dir, 'wallet.json.lock')
    const order: string[] = []
    const hold = async (name: string) => {
      const release = await lockFile(path)
      order.push(`${name} in`)
      await new Promise((r) => setTimeout(r, 20))
      order.push(`${name} out`)
      await release()
    }
    await Promise.all([hold('a'), hold('b'), hold('c')])
    for (let i = 0; i < order.length; i += 2)
      expect(order[i + 1]).toBe(order[i]!.replace(' in', ' out'))
    expect(await readdir(dir)).toEqual([])
  })

  it('takes over a lock left by a process that died', async () => {
    const path = join(dir, 'wallet.json.lock')
    await writeFile(path, 'dead-process')
    const old = new Date(Date.now() - 60_000)
    await utimes(path, old, old)
    const release = await lockFile(path)
    await release()
    expect(await readdir(dir)).toEqual([])
  })

  it('never takes over a lock that another process took over first: only the stale one it saw goes', async () => {
    const path = join(dir, 'wallet.json.lock')
    await writeFile(path, 'dead-process')
    const old = new Date(Date.now() - 60_000)
    await utimes(path, old, old)
    // Between our look at the stale lock and our move on it, another process takes it over and holds it.
    hooks.beforeDestroy = async (target) => {
      if (target !== path) return
      hooks.beforeDestroy = undefined
      await writeFile(path, 'live-process')
    }
    let acquired = false
    const waiting = lockFile(path).then((release) => {
      acquired = true
      return release
    })
    await sleep(150)
    expect(acquired).toBe(false)
    expect(await readFile(path, 'utf8')).toBe('live-process')
    expect(await readdir(dir)).toEqual(['wallet.json.lock'])

    await rm(path) // the live holder lets go
    const release = await waiting
    await release()
    expect(await readdir(dir)).toEqual([])
  })

  it('keeps a slow holder fresh, so nobody takes its lock as stale while it works', async () => {
    const path = join(dir, 'wallet.json.lock')
    const release = await lockFile(path, { staleMs: 200 })
    let other = false
    const waiting = lockFile(path, { staleMs: 200 }).then((r) => {
      other = true
      return r
    })
    await sleep(600)
    expect(Date.now() - (await stat(path)).mtimeMs).toBeLessThan(200)
    expect(other).toBe(false)
    await release()
    await (await waiting)()
    expect(other).toBe(true)
    expect(await readdir(dir)).toEqual([])
  })
})
