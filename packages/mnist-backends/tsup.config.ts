import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'

// Two entries: index (browsers and other runtimes: no Node built-ins) and node (the "node" export condition).
// shims: the CJS build needs import.meta.url (createRequire, locating tfjs-backend-wasm's binaries and Dawn).
export default defineConfig(packageBuild({ entry: { index: 'src/index.ts', node: 'src/node.ts' }, shims: true }))
