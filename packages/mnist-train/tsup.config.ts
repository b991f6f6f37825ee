import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'

// shims: the CJS build needs import.meta.url (createRequire, locating tfjs-backend-wasm's binaries). Two entries: the
// Node package and `browser` (the "browser" export condition and ./browser); splitting keeps one copy of the shared
// modules, so that an error class is the same class whichever entry loaded it.
export default defineConfig(
  packageBuild({ entry: { index: 'src/index.ts', browser: 'src/browser.ts' }, shims: true, splitting: true }),
)
