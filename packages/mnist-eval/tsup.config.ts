import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'

// shims: the bundled font is found through import.meta.url, which the CJS build needs shimmed. Two entries: the full
// package and `browser` (the "browser" export condition); splitting keeps one copy of the shared modules, so that an
// error class is the same class whichever entry loaded it.
export default defineConfig(
  packageBuild({ entry: { index: 'src/index.ts', browser: 'src/browser.ts' }, shims: true, splitting: true }),
)
