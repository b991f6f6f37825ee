import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'

// shims: import.meta.url in the CJS build (loadPretrained resolves pretrained/ relative to the module).
export default defineConfig(packageBuild({ shims: true }))
