/** Node-only wallet store: one JSON file, written atomically (temp file + rename), readable by its owner only (0600). */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { Stripe402ClientError } from './errors'
import { lockFile } from './file-lock'
import type { ClientStore } from './store/types'
import type { WalletSnapshot } from './wallet/snapshot'

export type { ClientStore } from './store/types'

/**
 * Budgets and credentials survive restarts. A reader never sees a half-written file: each
 * save writes a sibling temp file, flushes it to disk, then renames it over the wallet.
 * Processes sharing the file (two CLI runs, several agents) take turns through a lock file
 * beside it, so each sees the others' reservations before checking a budget.
 * The file holds bearer credentials for prepaid credits, hence 0600 and a 0700 directory
 * when this store creates it.
 */
export function createFileStore(path: string): ClientStore {
  const file = resolve(path)
  return {
    async lock() {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 })
      return lockFile(`${file}.lock`)
    },
    async load() {
      let text: string
      try {
        text = await readFile(file, 'utf8')
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw error
      }
      try {
        return JSON.parse(text) as unknown
      } catch {
        throw new Stripe402ClientError(
          'store_corrupt',
          `The wallet file ${file} is not JSON; fix or remove it.`,
        )
      }
    },
    async save(snapshot: WalletSnapshot) {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 })
      const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
      const handle = await open(temp, 'wx', 0o600)
      try {
        await handle.writeFile(`${JSON.stringify(snapshot, null, 2)}\n`, 'utf8')
        await handle.sync()
      } catch (error) {
        await handle.close().catch(() => {})
        await rm(temp, { force: true })
        throw error
      }
      await handle.close()
      // open() honours the umask; chmod makes 0600 exact whatever the umask says.
      await chmod(temp, 0o600)
      await rename(temp, file)
    },
  }
}
