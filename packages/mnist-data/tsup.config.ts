import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'

// Two entries: the full Node package and `stats`, the browser-safe part (@mnist/model bundles it). splitting keeps one
// copy of the shared modules (error classes stay the same class for instanceof) in the CJS build too.
export default defineConfig(packageBuild({ entry: { index: 'src/index.ts', stats: 'src/stats.ts' }, splitting: true }))
