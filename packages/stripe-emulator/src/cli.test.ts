import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'

const packageDir = fileURLToPath(new URL('..', import.meta.url))

function runCli(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: packageDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const printed = (text: string) =>
    new Promise<string>((resolve, reject) => {
      const check = () => (output.includes(text) ? resolve(output) : undefined)
      child.stdout.on('data', check)
      child.on('exit', () =>
        output.includes(text)
          ? resolve(output)
          : reject(new Error(`CLI exited without printing ${text}:\n${output}`)),
      )
      check()
    })
  return { child, exited, printed }
}

describe('stripe402-emulator CLI', () => {
  it('prints its URL, keys and SDK settings, serves the API and stops on SIGTERM', async () => {
    const cli = runCli(['--port', '0', '--webhook', 'http://127.0.0.1:9/hook?x=1=whsec_cli'])
    const output = await cli.printed('Ctrl+C')
    const url = /listening on (http:\/\/\S+)/.exec(output)?.[1]
    expect(url).toBeDefined()
    expect(output).toContain('sk_test_emulator')
    expect(output).toContain('pk_test_emulator')
    expect(output).toContain("protocol: 'http'")
    expect(output).toContain('http://127.0.0.1:9/hook?x=1')
    const { hostname, port } = new URL(url as string)
    const stripe = new Stripe('sk_test_cli', {
      host: hostname,
      port: Number(port),
      protocol: 'http',
      maxNetworkRetries: 0,
    })
    const customer = await stripe.customers.create({ name: 'from the CLI' })
    expect(customer.name).toBe('from the CLI')
    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
  })

  it('prints help', async () => {
    const cli = runCli(['--help'])
    expect(await cli.printed('Usage: stripe402-emulator')).toContain('--webhook <URL=SECRET>')
    expect(await cli.exited).toBe(0)
  })

  it('refuses a malformed --webhook', async () => {
    const cli = runCli(['--port', '0', '--webhook', 'no-secret'])
    expect(await cli.exited).toBe(1)
  })
})
