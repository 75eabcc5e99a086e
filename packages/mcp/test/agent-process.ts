/** Test-only: the `stripe402-mcp` bin as an agent's MCP host runs it, over stdio or Streamable HTTP, with the SDK's own Client. */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'

const BIN = join(import.meta.dirname, '..', 'bin', 'stripe402-mcp.js')
export const CARD_ENV = '4242424242424242|12|2034|123'

export type TransportName = 'stdio' | 'http'

export interface AgentProcess {
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>
  close(): Promise<void>
}

/** Starts the bin with `args` (plus a fresh wallet file) and connects a Client to it. */
export async function startAgent(transport: TransportName, args: string[]): Promise<AgentProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'stripe402-mcp-'))
  const argv = [BIN, ...args, '--wallet', join(dir, 'wallet.json')]
  const env = { ...process.env, STRIPE402_CARD: CARD_ENV } as Record<string, string>
  const client = new Client({ name: 'agent-test', version: '1.0.0' })
  let child: ChildProcess | undefined
  if (transport === 'stdio') {
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args: argv, env, stderr: 'pipe' }),
    )
  } else {
    const started = spawn(process.execPath, [...argv, '--http', '--port', '0'], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    child = started
    const url = await new Promise<string>((resolve, reject) => {
      let seen = ''
      started.stderr?.on('data', (chunk: Buffer) => {
        seen += chunk.toString()
        const found = /serving MCP at (\S+)/.exec(seen)
        if (found) resolve(found[1] as string)
      })
      started.once('exit', (code) => reject(new Error(`stripe402-mcp exited ${code}: ${seen}`)))
    })
    await client.connect(new StreamableHTTPClientTransport(new URL(url)))
  }
  return {
    call: (name, toolArgs = {}) =>
      client.callTool({ name, arguments: toolArgs }) as Promise<CallToolResult>,
    async close() {
      await client.close()
      if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child?.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** The text a model reads. */
export const textOf = (result: CallToolResult): string =>
  result.content.map((item) => (item.type === 'text' ? item.text : '')).join('\n')

/** The payment facts of a fetch_paid or call_paid_tool answer. */
export const paymentOf = (result: CallToolResult) =>
  (result.structuredContent as { payment?: Record<string, unknown> } | undefined)?.payment
