import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'

// `node:sqlite` exists only under its `node:` name: the build must not strip the prefix.
export default defineConfig({
  ...packageBuild('index', 'client', 'cli'),
  removeNodeProtocol: false,
})
