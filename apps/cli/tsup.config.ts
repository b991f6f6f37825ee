import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'

// The CLI ships one executable entry; commands are bundled in, packages stay external.
export default defineConfig(packageBuild({ entry: { bin: 'src/bin.ts' }, format: ['esm'], dts: false }))
