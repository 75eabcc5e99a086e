// The README's TypeScript snippets compile against the real package, so the docs cannot drift from the API.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import ts from 'typescript'
import { expect, it } from 'vitest'

const packageDir = resolve(import.meta.dirname, '..')

it('every ts snippet in README.md typechecks, and the mcpServers JSON parses', () => {
  const readme = readFileSync(resolve(packageDir, 'README.md'), 'utf8')
  const json = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1] as string)
  expect(json.map((text) => Object.keys(JSON.parse(text)))).toEqual([
    ['mcpServers'],
    ['mcpServers'],
  ])
  const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string)
  expect(snippets.length).toBeGreaterThanOrEqual(2)

  const config = ts.getParsedCommandLineOfConfigFile(
    resolve(packageDir, 'tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  )
  if (!config) throw new Error('cannot read tsconfig.json')
  // How a user's project sees the package: by its name.
  const options: ts.CompilerOptions = {
    ...config.options,
    noEmit: true,
    paths: {
      '@stripe402/mcp': [resolve(packageDir, 'src/index.ts')],
      '@stripe402/mcp/ai': [resolve(packageDir, 'src/ai.ts')],
      '@stripe402/mcp/langchain': [resolve(packageDir, 'src/langchain.ts')],
    },
  }
  const files = new Map(
    snippets.map((code, i) => [resolve(packageDir, `readme-snippet-${i + 1}.ts`), code]),
  )
  const host = ts.createCompilerHost(options)
  const { getSourceFile, fileExists, readFile } = host
  host.fileExists = (name) => files.has(name) || fileExists(name)
  host.readFile = (name) => files.get(name) ?? readFile(name)
  host.getSourceFile = (name, language, ...rest) => {
    const code = files.get(name)
    return code !== undefined
      ? ts.createSourceFile(name, code, language)
      : getSourceFile(name, language, ...rest)
  }
  const program = ts.createProgram([...files.keys()], options, host)
  const errors = ts.getPreEmitDiagnostics(program).map((d) => {
    const where =
      d.file && d.start !== undefined
        ? `${d.file.fileName.replace(`${packageDir}/`, '')}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}`
        : ''
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
  })
  expect(errors).toEqual([])
})
