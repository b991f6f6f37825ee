// Bundled first into the suite (before tfjs-core's tests register): picks the backend of this process' mode and
// tells tfjs-core's jasmine_util which test environment to run, as tfjs-backend-cpu's own run_tests.ts does.
import '@tensorflow/tfjs-backend-cpu'
// What the tfjs-core index adds to its base (as tfjs-backend-webgl's setup_test.ts imports them).
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops'
import '@tensorflow/tfjs-core/dist/register_all_gradients'
import { setTestEnvs, setupTestFilters } from '@tensorflow/tfjs-core/dist/jasmine_util'
import { join } from 'node:path'
import { registerSimdBackend, setThreadsCount } from '../../src/index'
import { SUITE_MODES } from './modes'
import { excluded, inSubset } from './filters'

const mode = SUITE_MODES.find((m) => m.name === process.env.SIMD_SUITE_MODE)
if (!mode) {
  throw new TypeError(
    `SIMD_SUITE_MODE=${process.env.SIMD_SUITE_MODE}: expected one of ${SUITE_MODES.map((m) => m.name)}`,
  )
}
if (mode.backend === 'simd') {
  const wasmDir = process.env.SIMD_SUITE_WASM_DIR!
  setThreadsCount(mode.threads ?? 1)
  registerSimdBackend({
    build: mode.build,
    sharedMemory: mode.sharedMemory,
    parallelThreshold: mode.parallelThreshold,
    wasmUrl: (file) => join(wasmDir, file),
  })
}
setTestEnvs([{ name: mode.name, backendName: mode.backend, flags: {}, isDataSync: true }])
setupTestFilters([], (name: string) => !excluded(name) && (!mode.subset || inSubset(name)))
