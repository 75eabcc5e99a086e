/**
 * The shell blocks of the READMEs run, against the example API and the emulator they name, and the
 * output and usage they show is what the commands print. Install and script commands, which CI runs
 * itself, resolve to real packages and scripts.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { createApp, ROUTES } from '@stripe402/example/app'
import { exampleSecret, startApi, type RunningApi } from '@stripe402/example/server'
import { createPaywall, MemoryLedger, PostgresLedger } from '@stripe402/server'
import { startStripeEmulator, type StripeEmulator } from '@stripe402/stripe-emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Block,
  blocks,
  elided,
  packageNamed,
  packageOf,
  readJson,
  readmes,
  root,
  where,
  withoutComment,
  words,
  workspace,
  type WorkspacePackage,
} from './blocks'

/** Every CLI the workspace ships: bin name → its package and launcher file. */
const BINS = new Map(
  workspace.flatMap((pkg) =>
    Object.entries(pkg.json.bin ?? {}).map(
      ([name, file]) => [name, { pkg, file: join(pkg.dir, file) }] as const,
    ),
  ),
)

/** What one line of an sh block (or one inline command) is. */
type Command =
  | { kind: 'env'; name: string; value: string }
  | { kind: 'install'; packages: string[] }
  | { kind: 'script'; pkg: string; script: string }
  | { kind: 'file'; path: string }
  | { kind: 'run'; vars: Record<string, string>; bin: string; file: string; args: string[] }
  | { kind: 'synopsis'; bin: string; file: string; usage: string }
  | { kind: 'unknown'; why: string }

/** Workspace packages a package brings along when a user installs it (its workspace dependencies, transitively). */
function installedWith(pkg: WorkspacePackage): WorkspacePackage[] {
  const deps = Object.keys(pkg.json.dependencies ?? {})
    .map(packageNamed)
    .filter((p): p is WorkspacePackage => p !== undefined)
  return [pkg, ...deps.flatMap(installedWith)]
}

/**
 * Which file `[npx] <name>` runs for a reader of this README: in the root README, from the repository
 * root, only a bin linked into node_modules/.bin; in a package README, a bin of that package or of
 * what it installs; with npx, a public package by name (a bare bin name would make npx ask the
 * registry for an unscoped package nobody here owns).
 */
function resolveBin(
  readme: string,
  name: string,
  npx: boolean,
): { bin: string; file: string } | string {
  const named = packageNamed(name)
  if (npx && named) {
    const bins = Object.keys(named.json.bin ?? {})
    if (named.json.private || bins.length !== 1)
      return `npx ${name}: not a public package with one bin`
    return { bin: bins[0]!, file: BINS.get(bins[0]!)!.file }
  }
  if (npx)
    return `npx ${name}: not a package of this workspace, so npx would fetch "${name}" from the registry; write npx -p @scope/package ${name}`
  const found = BINS.get(name)
  if (!found) return `${name}: no workspace package has this bin`
  if (readme === 'README.md') {
    if (!existsSync(join(root, 'node_modules', '.bin', name)))
      return `${name}: not linked into node_modules/.bin, so npx at the repository root would fetch "${name}" from the registry`
    return { bin: name, file: found.file }
  }
  if (!installedWith(packageOf(readme)).includes(found.pkg))
    return `${name}: a bin of ${found.pkg.json.name}, which installing ${packageOf(readme).json.name} does not bring`
  return { bin: name, file: found.file }
}

function classify(readme: string, text: string): Command {
  const w = words(text)
  if (w[0] === 'export' && w.length === 2 && /^[A-Z0-9_]+=/.test(w[1]!)) {
    const [name, ...value] = w[1]!.split('=')
    return { kind: 'env', name: name!, value: value.join('=') }
  }
  if (
    (w[0] === 'npm' && (w[1] === 'install' || w[1] === 'i')) ||
    (w[0] === 'pnpm' && w[1] === 'add')
  ) {
    return { kind: 'install', packages: w.slice(2).filter((p) => !p.startsWith('-')) }
  }
  if (w[0] === 'npm' && w[1] === 'test' && w.length === 2)
    return { kind: 'script', pkg: '', script: 'test' }
  if (w[0] === 'npm' && w[1] === 'run' && w.length === 3)
    return { kind: 'script', pkg: '', script: w[2]! }
  if (w[0] === 'pnpm' && w[1] === '--filter' && w.length === 4)
    return { kind: 'script', pkg: w[2]!, script: w[3]! }
  if (w[0] === 'pnpm' && w.length === 2) return { kind: 'script', pkg: '', script: w[1]! }
  if (w[0] === 'bash' && w.length === 2) return { kind: 'file', path: w[1]! }
  const vars: Record<string, string> = {}
  while (w[0] && /^[A-Z0-9_]+=/.test(w[0])) {
    const [name, ...value] = w.shift()!.split('=')
    vars[name!] = value.join('=')
  }
  let target: { bin: string; file: string } | string
  if (w[0] === 'node') {
    const file = join(root, w[1] ?? '')
    const bin = [...BINS].find(([, b]) => b.file === file)?.[0]
    target =
      readme === 'README.md' && bin
        ? { bin, file }
        : `node ${w[1]}: not a workspace bin run from the repository root`
    w.splice(0, 2)
  } else if (w[0] === 'npx' && (w[1] === '-p' || w[1] === '--package')) {
    // `npx -p @stripe402/client stripe402 …`: a bin of the public package named.
    const named = packageNamed(w[2] ?? '')
    const bin = w[3] ?? ''
    target =
      named && !named.json.private && named.json.bin?.[bin]
        ? { bin, file: BINS.get(bin)!.file }
        : `npx -p ${w[2]} ${bin}: not a bin of a public workspace package`
    w.splice(0, 4)
  } else if (w[0] === 'npx') {
    target = resolveBin(readme, w[1] ?? '', true)
    w.splice(0, 2)
  } else if (w[0] && BINS.has(w[0])) {
    target = resolveBin(readme, w[0], false)
    w.splice(0, 1)
  } else {
    return { kind: 'unknown', why: `"${text}" is no command this test knows how to check` }
  }
  if (typeof target === 'string') return { kind: 'unknown', why: target }
  if (text.includes('[')) return { kind: 'synopsis', ...target, usage: text }
  return { kind: 'run', vars, ...target, args: w }
}

/** The commands of an sh block, comments cut off; `# or: <command>` comments name an alternative command. */
function commandsOf(block: Block): { text: string; command: Command }[] {
  return block.code
    .split('\n')
    .map((line) => /^#\s*or:\s*(.+)$/.exec(line.trim())?.[1] ?? withoutComment(line).trim())
    .filter((text) => text !== '')
    .map((text) => ({ text, command: classify(block.readme, text) }))
}

const shBlocks = blocks.filter((b) => b.lang === 'sh')
const runnable = (readme: string) =>
  shBlocks.filter((b) => b.readme === readme && commandsOf(b).some((c) => c.command.kind === 'run'))

/** Commands written inline in the prose, such as `npm run start:example`. */
function inlineCommands(readme: string): { text: string; command: Command }[] {
  const prose = readFileSync(join(root, readme), 'utf8').replace(/^```[\s\S]*?^```/gm, '')
  return [...prose.matchAll(/`((?:npm|pnpm|npx|node|bash) [^`]+)`/g)].map((m) => ({
    text: m[1]!,
    command: classify(readme, m[1]!),
  }))
}

/** Problems with a command CI runs itself: its script, file or packages must exist. */
function problemsOf(_readme: string, command: Command): string[] {
  switch (command.kind) {
    case 'unknown':
      return [command.why]
    case 'file':
      return existsSync(join(root, command.path)) ? [] : [`${command.path} does not exist`]
    case 'install': {
      const named = command.packages.map((name) => ({ name, pkg: packageNamed(name) }))
      const provided = new Set(
        named.flatMap(({ pkg }) =>
          pkg
            ? [
                ...Object.keys(pkg.json.dependencies ?? {}),
                ...Object.keys(pkg.json.peerDependencies ?? {}),
              ]
            : [],
        ),
      )
      return named.flatMap(({ name, pkg }) =>
        (pkg && !pkg.json.private) || provided.has(name)
          ? []
          : [
              `${name} is neither a public workspace package nor a dependency of one installed beside it`,
            ],
      )
    }
    case 'script': {
      const pkg = packageNamed(command.pkg)
      const script = pkg?.json.scripts?.[command.script]
      if (!pkg || script === undefined)
        return [`${command.pkg || 'the root package.json'} has no "${command.script}" script`]
      const problems = script
        .split(/\s+/)
        .filter(
          (token) => /^[\w./-]+\.(ts|mjs|js|sh)$/.test(token) && !existsSync(join(pkg.dir, token)),
        )
        .map((token) => `the "${command.script}" script runs ${token}, which does not exist`)
      const turbo = /^turbo run (\S+)$/.exec(script)?.[1]
      if (turbo) {
        const tasks = readJson<{ tasks: Record<string, unknown> }>(join(root, 'turbo.json')).tasks
        if (!(turbo in tasks)) problems.push(`turbo.json has no "${turbo}" task`)
        for (const p of workspace.filter(
          (p) => p.json.name !== '' && !p.json.private && !p.json.scripts?.[turbo],
        )) {
          problems.push(`${p.json.name} has no "${turbo}" script for \`turbo run ${turbo}\``)
        }
      }
      return problems
    }
    default:
      return []
  }
}

/** A comment in an install block that lists packages (`# plus one adapter: a, b or c`) names real ones. */
function listedPackages(block: Block): string[] {
  return block.code
    .split('\n')
    .map((line) => /^#\s*[^:]*:\s*(.+)$/.exec(line.trim())?.[1])
    .filter((list): list is string => list !== undefined && !/^(npm|pnpm) /.test(list))
    .flatMap((list) => list.split(/,\s*|\s+or\s+|\s+and\s+/))
}

/** READMEs whose sh blocks run CLI commands; each has a describe below that runs them. */
const RUN_BELOW = ['README.md', 'packages/client/README.md', 'packages/conformance/README.md']

describe('README commands that are resolved rather than run (installs, scripts CI runs, files)', () => {
  const lines = readmes.flatMap((file) => {
    const readme = relative(root, file)
    return [
      ...shBlocks
        .filter((b) => b.readme === readme)
        .flatMap((b) => commandsOf(b).map((c) => ({ readme, at: where(b), ...c }))),
      ...inlineCommands(readme).map((c) => ({ readme, at: `${readme} (prose)`, ...c })),
    ]
  })

  it('knows every command of every sh block', () => {
    expect(lines.length).toBeGreaterThan(20)
    expect(
      lines
        .filter((l) => l.command.kind === 'unknown')
        .map((l) => `${l.at}: ${l.text}: ${(l.command as { why: string }).why}`),
    ).toEqual([])
  })

  it('runs the CLI commands of every README that has some', () => {
    expect(
      new Set(shBlocks.filter((b) => runnable(b.readme).includes(b)).map((b) => b.readme)),
    ).toEqual(new Set(RUN_BELOW))
  })

  it.each(
    lines.filter((l) => l.command.kind !== 'run').map((l) => [`${l.at}: ${l.text}`, l] as const),
  )('%s', (_, line) => {
    expect(problemsOf(line.readme, line.command)).toEqual([])
  })

  it.each(
    shBlocks
      .filter((b) => commandsOf(b).some((c) => c.command.kind === 'install'))
      .map((b) => [where(b), b] as const),
  )('%s: packages listed in comments are real', (_, block) => {
    const installed = commandsOf(block).flatMap((c) =>
      c.command.kind === 'install' ? c.command.packages : [],
    )
    for (const name of listedPackages(block))
      expect(problemsOf(block.readme, { kind: 'install', packages: [...installed, name] })).toEqual(
        [],
      )
    if (block.readme !== 'README.md') expect(installed).toContain(packageOf(block.readme).json.name)
  })

  it('starts the root README with two commands that work on a fresh clone: the demo, then what .ci/run runs', () => {
    const text = readFileSync(join(root, 'README.md'), 'utf8')
    const quickStart = text.indexOf('\n## Quick start\n')
    const block = shBlocks.find(
      (b) =>
        b.readme === 'README.md' &&
        text.split('\n').slice(0, b.line).join('\n').length > quickStart,
    )!
    const [demo, test, ...more] = commandsOf(block)
    expect(more).toEqual([])
    expect(demo!.command).toEqual({ kind: 'script', pkg: '', script: 'demo' })
    expect(test!.command).toEqual({ kind: 'script', pkg: '', script: 'test' })
    // With only Node and npm: each script installs the workspace first.
    const scripts = packageNamed('')!.json.scripts!
    expect(scripts.demo).toMatch(/^node scripts\/bootstrap\.mjs \S/)
    expect(scripts.test).toMatch(/^node scripts\/bootstrap\.mjs \S/)
    expect(
      readFileSync(join(root, '.ci/run'), 'utf8')
        .split('\n')
        .map((l) => l.trim()),
    ).toContain(test!.text)
  })
})

interface Ran {
  code: number | null
  stdout: string
  stderr: string
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file, ...args], { env, cwd: root })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Starts a long-running CLI and resolves once it has printed `ready`. */
function start(
  file: string,
  args: string[],
  ready: string,
): Promise<{ child: ChildProcess; stdout: () => string; exit: Promise<number | null> }> {
  const child = spawn(process.execPath, [file, ...args], { cwd: root })
  let stdout = ''
  let stderr = ''
  const exit = new Promise<number | null>((resolve) => child.on('close', resolve))
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      stdout += d
      if (stdout.includes(ready)) resolve({ child, stdout: () => stdout, exit })
    })
    child.stderr!.on('data', (d) => (stderr += d))
    void exit.then((code) =>
      reject(new Error(`${file} exited ${code} before printing "${ready}": ${stderr}`)),
    )
  })
}

/** What an sh block talks to: the README's hosts are rewritten to test servers; Stripe is the emulator. */
interface World {
  hosts: [readmeHost: string, testHost: string][]
  env: NodeJS.ProcessEnv
  stripeApi: string
  /** Exit status a command must have (0 unless the server has a fault the README shows). */
  expectCode?: number
  /** Runs when the block starts the emulator: start the server "with those keys". */
  onEmulator?: (url: string, keys: { secretKey: string; publishableKey: string }) => Promise<void>
}

/** Output each block's commands printed, with test hosts written back as the README's, for the output blocks below it. */
const outputs = new Map<Block, string[]>()
const running: { child: ChildProcess; exit: Promise<number | null> }[] = []

/** CLIs whose commands charge a card: without `--stripe-api` they would reach api.stripe.com, so they get the emulator. */
const PAYS = new Set(['stripe402 fetch', 'stripe402-conformance'])

/** Runs one line of an sh block in a world; returns what to assert on. */
async function runLine(
  block: Block,
  command: Extract<Command, { kind: 'run' }>,
  world: World,
): Promise<Ran> {
  let args = command.args.map((arg) =>
    world.hosts.reduce((a, [from, to]) => a.replaceAll(from, to), arg),
  )
  if (
    (PAYS.has(`${command.bin} ${args[0]}`) || PAYS.has(command.bin)) &&
    !args.includes('--stripe-api')
  )
    args.push('--stripe-api', world.stripeApi)
  const written = (text: string) =>
    world.hosts.reduce((t, [from, to]) => t.replaceAll(to, from), text)
  if (command.bin === 'stripe402-emulator') {
    // Long-running: started on a free port, it stands in for the README's port in the lines after it.
    const port = args[args.indexOf('--port') + 1]
    args = args.map((a, i) => (args[i - 1] === '--port' ? '0' : a))
    const emulator = await start(command.file, args, 'Press Ctrl+C to stop.')
    running.push(emulator)
    const out = emulator.stdout()
    const url = /listening on (http:\/\/\S+)/.exec(out)?.[1]
    const secretKey = /sk_test_\w+/.exec(out)?.[0]
    const publishableKey = /pk_test_\w+/.exec(out)?.[0]
    expect({ url, secretKey, publishableKey }).toEqual({
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      secretKey: expect.any(String),
      publishableKey: expect.any(String),
    })
    world.hosts.push([`http://127.0.0.1:${port}`, url!])
    await world.onEmulator?.(url!, { secretKey: secretKey!, publishableKey: publishableKey! })
    outputs.get(block)!.push(written(out))
    return { code: 0, stdout: out, stderr: '' }
  }
  const ran = await run(command.file, args, { ...world.env, ...command.vars })
  outputs.get(block)!.push(written(ran.stdout), written(ran.stderr))
  return ran
}

/** Runs every line of an sh block in order, each a test; `export` lines set the environment of the lines after them. */
function runBlock(block: Block, world: () => World): void {
  const lines = commandsOf(block)
  it.each(lines.map((l, i) => [l.text, i] as const))('runs `%s`', async (_, i) => {
    if (i === 0) outputs.set(block, [])
    const { command } = lines[i]!
    const w = world()
    if (command.kind === 'env') {
      w.env[command.name] = command.value
      return
    }
    expect(command.kind).toBe('run')
    if (command.kind !== 'run') return
    const { code, stdout, stderr } = await runLine(block, command, w)
    const expected = w.expectCode ?? 0
    expect({
      code,
      stderr: code === expected ? '' : stderr,
      stdout: code === expected ? '' : stdout,
    }).toEqual({ code: expected, stderr: '', stdout: '' })
    expect(stdout.length).toBeGreaterThan(0)
    if (command.args.includes('--json')) expect(() => JSON.parse(stdout)).not.toThrow()
  })
}

let emulator: StripeEmulator
const wallets = mkdtempSync(join(tmpdir(), 'stripe402-readme-'))
beforeAll(async () => {
  emulator = await startStripeEmulator({ port: 0 })
})
afterAll(async () => {
  for (const { child, exit } of running) {
    child.kill('SIGTERM')
    await exit
  }
  await emulator?.close()
  rmSync(wallets, { recursive: true, force: true })
})

/** The example API on a fresh in-memory ledger: the conformance suite and the test cards expect a server that has never seen them. */
async function freshApi(stripe: {
  secretKey: string
  publishableKey: string
  apiBase: string
}): Promise<RunningApi> {
  return startApi({
    stripe,
    ledger: { ledger: new MemoryLedger(), label: 'memory', close: async () => {} },
  })
}

describe('README shell commands', () => {
  let api: RunningApi
  let ledger: PostgresLedger

  beforeAll(async () => {
    ledger = await PostgresLedger.embedded()
    api = await startApi({
      stripe: { ...emulator.keys('readme'), apiBase: emulator.url },
      ledger: { ledger, label: 'PGlite in memory', close: () => ledger.close() },
    })
  })
  afterAll(async () => {
    await api?.close()
    await ledger?.close()
  })

  const commands = runnable('README.md').flatMap(commandsOf)
  it('finds the CLI and conformance commands', () => {
    expect(
      commands.some(
        (c) =>
          c.command.kind === 'run' &&
          c.command.bin === 'stripe402' &&
          c.command.args[0] === 'fetch',
      ),
    ).toBe(true)
    expect(
      commands.some((c) => c.command.kind === 'run' && c.command.bin === 'stripe402-conformance'),
    ).toBe(true)
  })

  // One world for the whole README, as a reader has one `npm run start:example` running.
  let world: World
  beforeAll(() => {
    // The README names the example's fixed ports; the test runs on free ones.
    world = {
      hosts: [
        ['http://127.0.0.1:4021', api.url],
        ['http://127.0.0.1:12111', emulator.url],
      ],
      env: { ...process.env, STRIPE402_WALLET: join(wallets, 'root.json') },
      stripeApi: emulator.url,
    }
  })
  for (const block of runnable('README.md'))
    describe(where(block), () => runBlock(block, () => world))
})

describe('packages/client/README.md', () => {
  const readme = 'packages/client/README.md'
  let api: RunningApi
  let world: World
  beforeAll(async () => {
    api = await freshApi({ ...emulator.keys('client'), apiBase: emulator.url })
    world = {
      hosts: [['https://api.example.com', api.url]],
      env: { ...process.env, STRIPE402_WALLET: join(wallets, 'client.json') },
      stripeApi: emulator.url,
    }
  })
  afterAll(() => api?.close())

  it('has one CLI block', () => expect(runnable(readme)).toHaveLength(1))
  for (const block of runnable(readme)) describe(where(block), () => runBlock(block, () => world))
})

/** The example API with one fault: the app answers GET /api/joke/ itself, outside the paywall (what S402-PATH-03 catches). */
async function apiServingTrailingSlash(stripe: {
  secretKey: string
  publishableKey: string
  apiBase: string
}): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  // The suite binds its PaymentMethods to the server's origin, as a current client does.
  const paywall = createPaywall({
    stripe,
    secret: exampleSecret(),
    ledger: new MemoryLedger(),
    origins: [url],
    routes: ROUTES,
  })
  const app = createApp(paywall)
  server.on('request', (req, res) => {
    if (req.method === 'GET' && req.url === '/api/joke/')
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ joke: 'Free, by accident.' }))
    app(req, res)
  })
  return {
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describe('packages/conformance/README.md', () => {
  const readme = 'packages/conformance/README.md'
  const [first, offline, ...more] = runnable(readme)
  it('has the CLI block and the offline block', () => {
    expect(more).toEqual([])
    expect(offline).toBeDefined()
  })

  describe(`${where(first!)}, against a server with the fault the output block shows`, () => {
    let api: { url: string; close(): Promise<void> }
    let world: World
    beforeAll(async () => {
      api = await apiServingTrailingSlash({
        ...emulator.keys('conformancefault'),
        apiBase: emulator.url,
      })
      world = {
        hosts: [['http://localhost:3000', api.url]],
        env: { ...process.env },
        stripeApi: emulator.url,
        expectCode: 1,
      }
    })
    afterAll(() => api?.close())
    runBlock(first!, () => world)
  })

  describe(`${where(offline!)}, with the emulator it starts`, () => {
    let api: RunningApi | undefined
    const world: World = {
      hosts: [],
      env: { ...process.env },
      stripeApi: '',
      // "start your server with those keys and the emulator as its Stripe API base"
      onEmulator: async (url, keys) => {
        api = await freshApi({ ...keys, apiBase: url })
        world.hosts.push(['http://localhost:3000', api.url])
        world.stripeApi = url
      },
    }
    afterAll(() => api?.close())
    runBlock(offline!, () => world)
  })
})

/** `--opt value` pairs of a help text: placeholder, default, whether it repeats. */
function helpOptions(
  help: string,
): Map<string, { placeholder?: string; default?: string; repeatable: boolean }> {
  const options = new Map<string, { placeholder?: string; default?: string; repeatable: boolean }>()
  for (const m of help.matchAll(/^\s+(?:-\w, )?--([\w-]+)(?: <([^>]+)>)?\s+(.*)$/gm)) {
    const fallback = /\(default ([^;)]+)/.exec(m[3]!)?.[1]
    options.set(m[1]!, {
      ...(m[2] !== undefined && { placeholder: m[2] }),
      ...(fallback !== undefined && { default: fallback }),
      repeatable: /repeatable/.test(m[3]!),
    })
  }
  return options
}

describe('usage synopses in sh blocks', () => {
  const synopses = shBlocks.flatMap((b) =>
    commandsOf(b).flatMap((c) =>
      c.command.kind === 'synopsis' ? [{ block: b, ...c.command }] : [],
    ),
  )
  it('finds the emulator synopsis', () =>
    expect(synopses.map((s) => s.bin)).toContain('stripe402-emulator'))

  it.each(synopses.map((s) => [`${where(s.block)}: ${s.bin}`, s] as const))(
    '%s lists the options, defaults and placeholders of --help',
    async (_, synopsis) => {
      const help = await run(synopsis.file, ['--help'], process.env)
      expect(help.code).toBe(0)
      const options = helpOptions(help.stdout)
      options.delete('help')
      const shown = [...synopsis.usage.matchAll(/\[--([\w-]+)(?: ([^\]\s]+))?( \.\.\.)?\]/g)].map(
        (m) => ({ name: m[1]!, value: m[2], repeats: m[3] !== undefined }),
      )
      expect(shown.map((s) => s.name).sort()).toEqual([...options.keys()].sort())
      for (const { name, value, repeats } of shown) {
        const option = options.get(name)!
        expect([option.default, option.placeholder], `--${name} ${value}`).toContain(value)
        expect(repeats, `--${name} ... when repeatable`).toBe(option.repeatable)
      }
    },
  )

  it.each(
    synopses.filter((s) => s.bin === 'stripe402-emulator').map((s) => [where(s.block), s] as const),
  )(
    '%s: with its defaults (on a free port) it prints its URL, the keys and the SDK settings, and stops on SIGTERM',
    async (_, synopsis) => {
      const defaults = [...synopsis.usage.matchAll(/\[--(port|host) ([^\]\s]+)\]/g)].flatMap(
        (m) => [`--${m[1]}`, m[1] === 'port' ? '0' : m[2]!],
      )
      const emu = await start(synopsis.file, defaults, 'Press Ctrl+C to stop.')
      const out = emu.stdout()
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1]
      expect(url).toBeDefined()
      // An answer from the printed URL also means the CLI has got past its start-up code, signal handlers included.
      await fetch(url!)
      emu.child.kill('SIGTERM')
      expect(await emu.exit).toBe(0)
      expect(out).toMatch(/Secret key: +sk_test_\w+/)
      expect(out).toMatch(/Publishable key: +pk_test_\w+/)
      expect(out).toMatch(
        /new Stripe\('sk_test_\w+', \{ host: '127\.0\.0\.1', port: \d+, protocol: 'http' \}\)/,
      )
    },
  )
})

describe('README text blocks', () => {
  const texts = blocks.filter((b) => b.lang === 'text')
  const usages = texts.filter((b) => /^Usage: /.test(b.code))
  const shown = texts.filter((b) => !usages.includes(b))

  it('finds the usage and output blocks', () => {
    expect(usages.length).toBeGreaterThanOrEqual(1)
    expect(shown.length).toBeGreaterThanOrEqual(2)
  })

  it.each(usages.map((b) => [where(b), b] as const))(
    '%s is exactly the --help of its command',
    async (_, block) => {
      const bin = /^Usage: (\S+)/.exec(block.code)![1]!
      const help = await run(BINS.get(bin)!.file, ['--help'], process.env)
      expect(help.code).toBe(0)
      expect(block.code.trimEnd()).toBe(help.stdout.trimEnd())
    },
  )

  // Runs after the blocks above have run: an output block shows what a command of the sh block before it printed.
  it.each(shown.map((b) => [where(b), b] as const))(
    '%s is what a command of the sh block above it printed',
    (_, block) => {
      const above = shBlocks.filter((b) => b.readme === block.readme && b.line < block.line).at(-1)
      expect(above, 'an sh block above the output').toBeDefined()
      const printed = outputs.get(above!)
      expect(printed, `${where(above!)} ran`).toBeDefined()
      const pattern = new RegExp(`(^|\\n)${elided(block.code.trimEnd()).source}(\\n|$)`)
      expect(
        printed!.some((text) => pattern.test(text)),
        `${block.code}\nin any of\n${printed!.join('\n---\n')}`,
      ).toBe(true)
    },
  )
})
