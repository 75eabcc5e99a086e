/**
 * RedisLedger on a real Redis Cluster: three masters started here (redis-server in cluster mode on
 * free ports), the ledger contract run through an ioredis `Cluster` client, and every account's
 * keys checked to live in one slot while accounts spread over all three nodes.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { outcomes, spendInOneTurn } from '../../test/support/turn'
import { runLedgerContract } from './contract'
import { RedisLedger } from './redis'

/** redis-server and redis-cli come with Redis; without them the suite skips (and fails under STRIPE402_REQUIRE_SERVICES=1). */
function redisBinaries(): string | null {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' })
    execFileSync('redis-cli', ['--version'], { stdio: 'ignore' })
    return null
  } catch {
    return 'redis-server and redis-cli are not on PATH'
  }
}
const missing = redisBinaries()
if (missing) {
  if (process.env.STRIPE402_REQUIRE_SERVICES === '1')
    throw new Error(
      `STRIPE402_REQUIRE_SERVICES=1 but the Redis Cluster tests cannot run: ${missing}`,
    )
  console.warn(`[stripe402] Redis Cluster tests skipped: ${missing}`)
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** A three-master cluster in a temporary folder; `stop()` kills it and removes the folder. */
async function startCluster(): Promise<{
  nodes: Array<{ host: string; port: number }>
  stop: () => Promise<void>
}> {
  const dir = mkdtempSync(join(tmpdir(), 'stripe402-redis-cluster-'))
  const ports = [await freePort(), await freePort(), await freePort()]
  const children: ChildProcess[] = ports.map((port) =>
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    ),
  )
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) resolve()
            else {
              child.once('exit', () => resolve())
              child.kill('SIGKILL')
            }
          }),
      ),
    )
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    for (const port of ports) {
      for (let i = 0; ; i++) {
        try {
          if (
            execFileSync('redis-cli', ['-p', String(port), 'ping'])
              .toString()
              .trim() === 'PONG'
          )
            break
        } catch {
          if (i > 100) throw new Error(`redis-server on ${port} did not start`)
        }
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
    execFileSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { stdio: 'ignore' },
    )
    for (
      let i = 0;
      !execFileSync('redis-cli', ['-p', String(ports[0]), 'cluster', 'info'])
        .toString()
        .includes('cluster_state:ok');
      i++
    ) {
      if (i > 200) throw new Error('the Redis Cluster did not reach cluster_state:ok')
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), stop }
  } catch (error) {
    await stop()
    throw error
  }
}

describe.skipIf(missing !== null)('RedisLedger on a three-node Redis Cluster', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>
  const clients: Cluster[] = []
  const connect = async () => {
    const client = new Cluster(cluster.nodes, {
      redisOptions: RedisLedger.clientOptions,
      enableOfflineQueue: false,
    })
    clients.push(client)
    await new Promise<void>((resolve, reject) => {
      client.once('ready', resolve)
      client.once('error', reject)
    })
    return client
  }
  beforeAll(async () => {
    cluster = await startCluster()
  }, 30_000)
  afterAll(async () => {
    for (const client of clients) client.disconnect()
    await cluster?.stop()
  })

  runLedgerContract('Redis Cluster', async () => {
    const client = await connect()
    return {
      ledger: new RedisLedger(client, { prefix: 's402cluster' }),
      unreachable: async () => {
        // A cluster whose only seed node is port 1 on localhost: nothing listens there.
        const down = new Cluster([{ host: '127.0.0.1', port: 1 }], {
          redisOptions: RedisLedger.clientOptions,
          enableOfflineQueue: false,
        })
        down.on('error', () => {})
        return {
          ledger: new RedisLedger(down, { prefix: 's402cluster' }),
          teardown: async () => down.disconnect(),
        }
      },
      teardown: async () => client.disconnect(),
    }
  })

  it("sends a turn's debits as one script per account and one hold for all, each with its own answer", async () => {
    const client = await connect()
    const ledger = new RedisLedger(client, { prefix: 's402batch' })
    const accounts = ['batch_a', 'batch_b']
    // A turn of the same shape first, so that every node has the scripts (a first EVALSHA on a
    // node answers NOSCRIPT and the script is sent again): 100 taken, 5,000 refused, per account.
    await spendInOneTurn(ledger, accounts, { funds: 1_000, units: [100, 5_000], tag: 'warm' })
    const before = await ledger.holds.count()
    const sent: string[] = []
    const sendCommand = client.sendCommand.bind(client)
    client.sendCommand = (command, stream, node) => {
      sent.push(command.name)
      return sendCommand(command, stream, node)
    }
    const results = await spendInOneTurn(ledger, accounts, { units: [400, 400, 400], tag: 'r' })
    client.sendCommand = sendCommand
    // One HOLD, one script per account, one release of the two refused debits' holds: 4, not 14.
    expect(sent).toEqual(['evalsha', 'evalsha', 'evalsha', 'evalsha'])
    expect(outcomes(results)).toEqual([
      500,
      100,
      'insufficient_credits',
      500,
      100,
      'insufficient_credits',
    ])
    // Only the debits that stood are held.
    expect(await ledger.holds.count()).toBe(before + 4)
  })

  it('keeps each account in one slot and spreads accounts over every node', async () => {
    const client = await connect()
    const ledger = new RedisLedger(client, { prefix: 's402spread' })
    const accounts = Array.from({ length: 30 }, (_, i) => `acct${i}`)
    for (const accountId of accounts) {
      await ledger.credit({
        accountId,
        currency: 'usd',
        units: 1_000,
        kind: 'top_up',
        ref: `pi_${accountId}`,
      })
      expect(
        await ledger.spend({ accountId, currency: 'usd', units: 300, ref: `r_${accountId}` }),
      ).toMatchObject({ ok: true, balance: 700 })
    }
    const ownerOf = new Map<string, string>()
    for (const node of client.nodes('master')) {
      const keys: string[] = await node.keys('s402spread:*')
      const { port } = node.options
      for (const key of keys) {
        const account = /\{([^}]+)\}/.exec(key)?.[1]
        expect(account, `${key} carries no hash tag`).toBeDefined()
        // Every key of an account on the same node (one slot): a script never crosses slots.
        expect(ownerOf.get(account!) ?? String(port)).toBe(String(port))
        ownerOf.set(account!, String(port))
      }
    }
    expect([...ownerOf.keys()].sort()).toEqual([...accounts].sort())
    expect(new Set(ownerOf.values()).size).toBe(3)
  })
})
