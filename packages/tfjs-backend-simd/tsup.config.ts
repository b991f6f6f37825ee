import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'

// shims: import.meta.url in the CJS build, used to find ../wasm-out/*.wasm next to dist/.
export default defineConfig(packageBuild({ platform: 'neutral', shims: true, external: [/^node:/, /^@tensorflow\//] }))
