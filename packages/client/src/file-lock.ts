/** Node-only: an exclusive lock between processes, as a file created with O_EXCL beside the one it guards. */
import { randomBytes } from 'node:crypto'
import {
  type FileHandle,
  link,
  open,
  readFile,
  rename,
  rm,
  utimes,
  writeFile,
} from 'node:fs/promises'
import { Stripe402ClientError } from './errors'

export interface LockOptions {
  /** A lock file untouched for this long belongs to a process that died; its holder touches it every quarter of this. Default 10 s. */
  staleMs?: number
  /** How long to wait for the lock before failing with `store_unavailable`. Default 30 s. */
  giveUpMs?: number
}

const STALE_MS = 10_000
const GIVE_UP_MS = 30_000

/**
 * Waits for the lock (backing off from 5 to 100 ms) and resolves to its release. The file holds
 * a token unique to this holder, which proves whose a lock is when it is taken over or released.
 */
export async function lockFile(
  path: string,
  options: LockOptions = {},
): Promise<() => Promise<void>> {
  const staleMs = options.staleMs ?? STALE_MS
  const giveUpMs = options.giveUpMs ?? GIVE_UP_MS
  const token = newToken()
  const started = Date.now()
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      await writeFile(path, token, { flag: 'wx', mode: 0o600 })
      return hold(path, token, staleMs)
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error
    }
    const holder = await readHolder(path)
    // Gone since the create failed, or a dead holder's lock moved out of the way: try again at once.
    if (holder === undefined) continue
    if (Date.now() - holder.mtimeMs > staleMs && (await takeOver(path, holder.token))) continue
    if (Date.now() - started > giveUpMs) {
      throw new Stripe402ClientError(
        'store_unavailable',
        `The wallet is locked by another process (${path}); remove the file if no stripe402 process is running.`,
      )
    }
    await new Promise((r) => setTimeout(r, delay))
  }
}

/**
 * Moves the lock at `path` out of the way if it is still the one holding `token`. Checking and then
 * removing would race: between the two, another process may take the stale lock over and hold a
 * fresh one, which a plain remove would delete. A rename is atomic, so we move whatever is there
 * aside and read what we moved; if it is not the lock we meant, we put it back (without
 * overwriting a newer one) and report `false`.
 */
export async function takeOver(path: string, token: string): Promise<boolean> {
  const aside = `${path}.${newToken()}.stale`
  try {
    await rename(path, aside)
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false
    throw error
  }
  const moved = await readFile(aside, 'utf8').catch(() => undefined)
  if (moved === token) {
    await rm(aside, { force: true })
    return true
  }
  try {
    // A hard link restores it only if nobody created the lock meanwhile, and keeps its mtime.
    await link(aside, path)
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') await rename(aside, path).catch(() => {})
  }
  await rm(aside, { force: true })
  return false
}

/** Held: the file's mtime is refreshed while the holder works, so a slow holder is never taken for a dead one. */
function hold(path: string, token: string, staleMs: number): () => Promise<void> {
  const heartbeat = setInterval(
    () => void touch(path, token),
    Math.max(Math.floor(staleMs / 4), 10),
  )
  heartbeat.unref()
  return async () => {
    clearInterval(heartbeat)
    // Only our own: a lock taken over as stale belongs to someone else now.
    await takeOver(path, token)
  }
}

async function touch(path: string, token: string): Promise<void> {
  try {
    if ((await readFile(path, 'utf8')) !== token) return
    const now = new Date()
    await utimes(path, now, now)
  } catch {
    // Gone or unreadable: the next lock attempt by anyone sorts it out.
  }
}

/** The token and mtime of one and the same file (read through one handle), or `undefined` when there is none. */
async function readHolder(path: string): Promise<{ token: string; mtimeMs: number } | undefined> {
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined
    throw error
  }
  try {
    const { mtimeMs } = await handle.stat()
    return { token: await handle.readFile('utf8'), mtimeMs }
  } finally {
    await handle.close()
  }
}

function newToken(): string {
  return `${process.pid}-${randomBytes(8).toString('hex')}`
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code
}
