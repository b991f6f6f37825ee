import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'

// Three entries: the Node package, the browser build (the `browser` and `default` conditions) and `stats` (browser-safe,
// @mnist/model bundles it). splitting keeps one copy of the shared modules (error classes stay the same class for
// instanceof) in the CJS build too.
export default defineConfig(
  packageBuild({
    entry: { index: 'src/index.ts', browser: 'src/browser.ts', stats: 'src/stats.ts' },
    splitting: true,
  }),
)
