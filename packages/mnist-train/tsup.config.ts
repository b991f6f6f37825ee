import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'

// shims: the CJS build needs import.meta.url (createRequire, locating tfjs-backend-wasm's binaries).
export default defineConfig(packageBuild({ shims: true }))
