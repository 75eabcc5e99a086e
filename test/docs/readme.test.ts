/** Every snippet in the READMEs is checked: TypeScript compiled, JSON and TOML validated here, shell and output in cli-snippets.test.ts. */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DiscoveryDocumentSchema } from '@stripe402/protocol'
import {
  createPaywall,
  MemoryLedger,
  type PaywallConfig,
  type PriceFunction,
} from '@stripe402/server'
import ts from 'typescript'
import { afterAll, describe, expect, it } from 'vitest'
import { type Block, blocks, root, where, workspace } from './blocks'

/** Which test proves each kind of fenced block; a block of any other kind fails the inventory. */
const CHECKED_BY: Record<string, string> = {
  ts: 'compiled in readme.test.ts',
  typescript: 'compiled in readme.test.ts',
  json: 'validated against the protocol schemas in readme.test.ts',
  toml: 'parsed and its keys checked in readme.test.ts',
  sh: 'run, or resolved to real scripts and packages, in cli-snippets.test.ts',
  text: 'compared with real --help or command output in cli-snippets.test.ts',
}

interface Snippet {
  readme: string
  index: number
  line: number
  code: string
}

function snippetsOf(readme: string): Snippet[] {
  return blocks
    .filter((b) => b.readme === readme && (b.lang === 'ts' || b.lang === 'typescript'))
    .map((b, index) => ({ readme: b.readme, index, line: b.line, code: b.code }))
}

const snippets = [...new Set(blocks.map((b) => b.readme))].flatMap(snippetsOf)
// Snippets live beside this test so they resolve packages exactly as the workspace does.
const dir = join(dirname(fileURLToPath(import.meta.url)), '.snippets')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('README blocks', () => {
  it('has a test for every fenced block in the root README and the package READMEs', () => {
    const unchecked = blocks
      .filter((b) => !(b.lang in CHECKED_BY))
      .map((b) => `${where(b)}: \`\`\`${b.lang || '(no language)'}`)
    expect(unchecked).toEqual([])
  })
})

describe('README snippets', () => {
  it('finds snippets in the root README and the package READMEs', () => {
    expect(snippets.filter((s) => s.readme === 'README.md').length).toBeGreaterThanOrEqual(5)
    expect(new Set(snippets.map((s) => s.readme)).size).toBeGreaterThanOrEqual(5)
  })

  it('compiles every snippet under the strict workspace settings', () => {
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    const files = snippets.map((snippet) => {
      const name = `${snippet.readme.replace(/[^a-z0-9]+/gi, '_')}_${snippet.index}.ts`
      const file = join(dir, name)
      // `export {}` makes each snippet its own module (top-level await, no shared globals).
      writeFileSync(file, `${snippet.code}\nexport {}\n`)
      return { file, snippet }
    })
    const program = ts.createProgram(
      files.map((f) => f.file),
      {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
        types: ['node'],
        typeRoots: [join(root, 'node_modules', '@types')],
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        esModuleInterop: true,
        resolveJsonModule: true,
      },
    )
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName.startsWith(dir))
      .map((d) => {
        const owner = files.find((f) => f.file === d.file!.fileName)!.snippet
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0)
        return `${owner.readme}:${owner.line + 1 + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
      })
    expect(problems).toEqual([])
  })
})

describe('README price functions', () => {
  // Compiling is not enough: `new URL(req.url)` compiles, and throws on the relative URL every adapter passes.
  it('prices POST /api/summarize as the root README says, on the request an adapter passes', async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    const source = /'POST \/api\/summarize': \{ amount: (\(req\) => .*?) \},/.exec(readme)?.[1]
    expect(source).toBeDefined()
    const amount = new Function(`return ${source}`)() as PriceFunction
    const paywall = createPaywall({
      stripe: { secretKey: 'sk_test_readme', publishableKey: 'pk_test_readme' },
      secret: 'readme-price-function-secret-long-enough-0123',
      ledger: new MemoryLedger(),
      routes: { 'POST /api/summarize': { amount } },
    })
    const priceOf = async (url: string) => {
      const outcome = await paywall.begin({ method: 'POST', url, headers: new Headers() })
      expect(outcome).toMatchObject({ type: 'deny', status: 402 })
      const body = JSON.parse((outcome as { body: string }).body) as {
        accepts: Array<{ amount: number }>
      }
      return body.accepts[0]?.amount
    }
    expect(await priceOf('/api/summarize?long')).toBe(5_000)
    expect(await priceOf('/api/summarize')).toBe(1_000)
  })
})

describe('README JSON', () => {
  const jsonBlocks = blocks.filter((b) => b.lang === 'json')
  it('finds the discovery document', () => {
    expect(jsonBlocks.map((b) => b.readme)).toContain('packages/server/README.md')
  })

  // An MCP host's `mcpServers` configuration: each server runs a bin this workspace ships.
  const isMcpConfig = (block: Block) => 'mcpServers' in (JSON.parse(block.code) as object)
  it.each(jsonBlocks.filter(isMcpConfig).map((b) => [where(b), b] as const))(
    '%s configures an MCP host to run a stripe402 bin',
    (_, block) => {
      const { mcpServers } = JSON.parse(block.code) as {
        mcpServers: Record<string, { command: string; args?: string[]; env?: object }>
      }
      const servers = Object.values(mcpServers)
      expect(servers.length).toBeGreaterThan(0)
      for (const server of servers) {
        expect(server.command).toBe('npx')
        const name = server.args?.find((a) => a.startsWith('@stripe402/'))
        const pkg = workspace.find((p) => p.json.name === name)
        expect(pkg?.json.bin, `${name} ships a bin`).toBeDefined()
      }
    },
  )

  // Any other JSON block is a discovery document: another kind needs its schema here.
  it.each(jsonBlocks.filter((b) => !isMcpConfig(b)).map((b) => [where(b), b] as const))(
    '%s is the discovery document the engine serves',
    (_, block) => {
      const shown: unknown = JSON.parse(block.code)
      const doc = DiscoveryDocumentSchema.parse(shown)
      // The schema strips unknown keys: a field the protocol does not have shows up here.
      expect(doc).toEqual(shown)
      const routes: PaywallConfig['routes'] = {}
      for (const { method, path, amount, ...pricing } of doc.routes) {
        routes[`${method === '*' ? '' : `${method} `}${path}`] = {
          ...pricing,
          amount: amount === 'dynamic' ? () => 100 : amount,
        }
      }
      const paywall = createPaywall({
        stripe: { secretKey: 'sk_test_readme', publishableKey: doc.publishableKey },
        secret: 'readme-discovery-Xq7#pV2m9LwZr4Tn8KcB6yHs3Jd5Fg0',
        ledger: new MemoryLedger(),
        routes,
      })
      expect(paywall.priceList()).toEqual(doc)
    },
  )
})

/** The TOML the READMEs use: `key = value` lines whose values are JSON-compatible (strings, numbers, arrays). */
function parseToml(block: Block): Record<string, unknown> {
  const table: Record<string, unknown> = {}
  for (const raw of block.code.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const match = /^([A-Za-z0-9_-]+)\s*=\s*(.+)$/.exec(line)
    if (!match)
      throw new Error(
        `${where(block)}: "${line}" is beyond the TOML this test reads; teach parseToml`,
      )
    table[match[1]!] = JSON.parse(match[2]!)
  }
  return table
}

/** Runtime sources of the packages a Worker runs (engine, fetch adapter, protocol): not tests, not test helpers. */
function engineSources(): string[] {
  const files: string[] = []
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name)
      if (entry.isDirectory()) {
        if (entry.name !== 'test-support' && entry.name !== 'testing') walk(full)
      } else if (
        /\.ts$/.test(entry.name) &&
        !/\.test\.ts$/.test(entry.name) &&
        entry.name !== 'testing.ts'
      )
        files.push(full)
    }
  }
  for (const pkg of ['server', 'fetch', 'protocol']) walk(join(root, 'packages', pkg, 'src'))
  return files
}

describe('README TOML', () => {
  const tomlBlocks = blocks.filter((b) => b.lang === 'toml')
  it('finds the wrangler.toml of the server README', () => {
    expect(tomlBlocks.map((b) => b.readme)).toContain('packages/server/README.md')
  })

  it.each(tomlBlocks.map((b) => [where(b), b] as const))(
    '%s sets the Workers flag for the Node built-ins the engine imports',
    (_, block) => {
      const table = parseToml(block)
      expect(Object.keys(table)).toEqual(['compatibility_flags'])
      expect(table.compatibility_flags).toContain('nodejs_compat')
      // nodejs_compat is needed because the engine imports node:crypto, and enough because that is all it imports.
      const builtins = new Set(
        engineSources().flatMap((file) =>
          // Runtime imports only: a type import costs nothing at load, and SqliteLedger loads
          // node:sqlite itself, when it is opened (never on Workers).
          [
            ...readFileSync(file, 'utf8').matchAll(
              /^import (?!type\b)[^'"]*?from '(node:[^']+)'/gm,
            ),
          ].map((m) => m[1]!),
        ),
      )
      expect([...builtins]).toEqual(['node:crypto'])
      // The README names the node:crypto functions next to the block; each is one the engine calls.
      const text = readFileSync(join(root, block.readme), 'utf8')
      const named = /`node:crypto` \(([^)]*)\)/.exec(text)?.[1]?.match(/\w+/g) ?? []
      expect(named.length).toBeGreaterThan(0)
      const engine = engineSources()
        .map((file) => readFileSync(file, 'utf8'))
        .join('\n')
      for (const name of named)
        expect(engine, `node:crypto ${name}`).toMatch(new RegExp(`\\b${name}\\(`))
    },
  )
})
