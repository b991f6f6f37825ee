import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'

// shims: the bundled font is found through import.meta.url, which the CJS build needs shimmed.
export default defineConfig(packageBuild({ shims: true }))
