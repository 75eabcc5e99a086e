/** Test-only: removes the keys a test wrote to a shared Redis under its own prefix. */
import type { Redis } from 'ioredis'

/** SCAN, not KEYS: other tests share this Redis, and KEYS would block them on a large database. */
export async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500)
    if (keys.length > 0) await client.del(...keys)
    cursor = next
  } while (cursor !== '0')
}
