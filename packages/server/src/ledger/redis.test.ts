import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { requireService } from '../../../../test/services'
import { deleteKeys } from '../../test/support/redis'
import { outcomes, spendInOneTurn } from '../../test/support/turn'
import { runLedgerContract } from './contract'
import { RedisLedger } from './redis'

const svc = await requireService('redis')
// A key prefix per run: other engineers' tests share this Redis.
const prefixFor = (what: string) =>
  `s402test:${what}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`

describe.skipIf(!svc.available)('RedisLedger on Redis', () => {
  runLedgerContract('Redis', async () => {
    const client = new Redis(svc.url, { ...RedisLedger.clientOptions, lazyConnect: true })
    await client.connect()
    const prefix = prefixFor('contract')
    return {
      ledger: new RedisLedger(client, { prefix }),
      unreachable: async () => {
        // Port 1 on localhost: nothing listens there. The recommended options make calls fail at once.
        const down = new Redis({
          host: '127.0.0.1',
          port: 1,
          ...RedisLedger.clientOptions,
          retryStrategy: () => 200,
        })
        down.on('error', () => {})
        return {
          ledger: new RedisLedger(down, { prefix }),
          teardown: async () => down.disconnect(),
        }
      },
      teardown: async () => {
        await deleteKeys(client, prefix)
        client.disconnect()
      },
    }
  })

  describe('keys and round trips', () => {
    const client = new Redis(svc.url, { ...RedisLedger.clientOptions, lazyConnect: true })
    const prefix = prefixFor('trips')
    const ledger = new RedisLedger(client, { prefix })
    const sent: string[] = []
    // Counts every command this client writes to Redis, whoever sends it.
    const sendCommand = client.sendCommand.bind(client)
    client.sendCommand = (command, stream) => {
      sent.push(command.name)
      return sendCommand(command, stream)
    }
    afterAll(async () => {
      await deleteKeys(client, prefix)
      client.disconnect()
    })

    const spend = () =>
      ledger.spend({
        accountId: 'acct',
        credentialHash: 'h'.repeat(64),
        currency: 'usd',
        units: 100,
        ref: 'r',
      })

    it('spends in exactly one command sent to Redis', async () => {
      await client.connect()
      await ledger.credit({
        accountId: 'acct',
        currency: 'usd',
        units: 1_000,
        kind: 'top_up',
        ref: 'pi_1',
      })
      await ledger.issueCredential('h'.repeat(64), 'acct')
      await spend()
      sent.length = 0
      expect(await spend()).toMatchObject({ ok: true, balance: 800 })
      expect(sent).toEqual(['evalsha'])
    })

    it('keeps spending after Redis loses its script cache (restart, SCRIPT FLUSH)', async () => {
      await client.script('FLUSH')
      sent.length = 0
      expect(await spend()).toMatchObject({ ok: true, balance: 700 })
      expect(sent).toEqual(['evalsha', 'eval'])
      sent.length = 0
      expect(await spend()).toMatchObject({ ok: true, balance: 600 })
      expect(sent).toEqual(['evalsha'])
    })

    it('sends the debits asked for in one turn as one command, each with its own answer', async () => {
      // Funded first, so that only the turn's own command is counted.
      await spendInOneTurn(ledger, ['batch_a', 'batch_b'], { funds: 250, units: [], tag: 'p' })
      sent.length = 0
      const results = await spendInOneTurn(ledger, ['batch_a', 'batch_b'], {
        units: [100, 100, 100],
        tag: 'r',
      })
      expect(sent).toEqual(['evalsha'])
      expect(outcomes(results)).toEqual([
        150,
        50,
        'insufficient_credits',
        150,
        50,
        'insufficient_credits',
      ])
    })

    it("fails only the debit whose commands failed, not the rest of its turn's batch", async () => {
      await ledger.credit({
        accountId: 'fine',
        currency: 'usd',
        units: 500,
        kind: 'top_up',
        ref: 'pi_1',
      })
      // Something else wrote a string where the account's hash lives: Redis answers WRONGTYPE.
      await client.set(`${prefix}:{broken}`, 'not a hash')
      const holdUntil = Date.now() + 60_000
      const before = await ledger.holds.count()
      sent.length = 0
      const [first, broken, last] = await Promise.allSettled([
        ledger.spend({ accountId: 'fine', currency: 'usd', units: 100, ref: 'f1', holdUntil }),
        ledger.spend({ accountId: 'broken', currency: 'usd', units: 100, ref: 'b1', holdUntil }),
        ledger.spend({ accountId: 'fine', currency: 'usd', units: 100, ref: 'f2', holdUntil }),
      ])
      expect(sent).toEqual(['evalsha'])
      expect(first).toMatchObject({ status: 'fulfilled', value: { ok: true, balance: 400 } })
      expect(last).toMatchObject({ status: 'fulfilled', value: { ok: true, balance: 300 } })
      expect(broken.status).toBe('rejected')
      expect(String((broken as PromiseRejectedResult).reason)).toMatch(/WRONGTYPE/)
      expect(await ledger.balance('fine', 'usd')).toBe(300)
      expect(await ledger.holds.count()).toBe(before + 2)
    })

    it('keeps every key of an account under its hash tag, so each script stays in one Cluster slot', async () => {
      const accountId = 'acct_tagged'
      await ledger.credit({ accountId, currency: 'usd', units: 1_000, kind: 'top_up', ref: 'pi_1' })
      await ledger.spend({ accountId, currency: 'usd', units: 10, ref: 'r' })
      await ledger.issueCredential('c'.repeat(64), accountId)
      await ledger.setFrozen(accountId, true)
      const keys: string[] = []
      let cursor = '0'
      do {
        const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500)
        keys.push(...batch)
        cursor = next
      } while (cursor !== '0')
      const accountKeys = keys.filter((k) => k.includes(accountId))
      expect(accountKeys.sort()).toEqual([
        `${prefix}:{${accountId}}`,
        `${prefix}:{${accountId}}:j`,
        `${prefix}:{${accountId}}:r`,
      ])
      expect(keys).toContain(`${prefix}:credidx:${'c'.repeat(64)}`)
    })
  })
})
