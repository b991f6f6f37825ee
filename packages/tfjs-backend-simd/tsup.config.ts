import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'

// shims: import.meta.url in the CJS build, used to find ../wasm-out/*.wasm next to dist/.
// stripInternal: SimdBackend's runtime and heap plumbing (marked @internal) stay out of the published types.
export default defineConfig(
  packageBuild({
    platform: 'neutral',
    shims: true,
    external: [/^node:/, /^@tensorflow\//],
    dts: { compilerOptions: { stripInternal: true } },
  }),
)
