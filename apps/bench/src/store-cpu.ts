/** CPU used by redis-server (INFO cpu), so the cost of a paid request that runs in the store is counted too. */
import { Redis } from 'ioredis'

export interface StoreCpuProbe {
  /** CPU redis-server has used since it started (user + system, all its threads), in microseconds. */
  read(): Promise<number>
  close(): void
}

export async function redisCpuProbe(
  url = process.env.REDIS_URL || 'redis://127.0.0.1:6379',
): Promise<StoreCpuProbe | null> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  })
  client.on('error', () => {})
  try {
    await client.connect()
  } catch {
    client.disconnect()
    return null
  }
  return {
    async read() {
      const info = await client.info('cpu')
      const field = (name: string) =>
        Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? Number.NaN)
      return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6
    },
    close: () => client.disconnect(),
  }
}
