// The README's TypeScript snippets compile against the real package, so the docs cannot drift from the API.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import ts from 'typescript'
import { expect, it } from 'vitest'

const packageDir = resolve(__dirname, '..')

it('every ts snippet in README.md typechecks', () => {
  const readme = readFileSync(resolve(packageDir, 'README.md'), 'utf8')
  const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string)
  expect(snippets.length).toBeGreaterThanOrEqual(4)

  const config = ts.getParsedCommandLineOfConfigFile(
    resolve(packageDir, 'tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  )
  if (!config) throw new Error('cannot read tsconfig.json')
  const options: ts.CompilerOptions = {
    ...config.options,
    noEmit: true,
    // How a user's project sees the package: by its name and entry points.
    paths: {
      '@stripe402/client': [resolve(packageDir, 'src/index.ts')],
      '@stripe402/client/file-store': [resolve(packageDir, 'src/file-store.ts')],
      '@stripe402/client/axios': [resolve(packageDir, 'src/axios.ts')],
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
