// A simd wasm file that cannot be loaded: the first selection already says which file, not "failed to initialise".
import { registerSimdBackend, simdLoadError } from '@mnist/backend-simd'
import { afterAll, expect, test } from 'vitest'
import { BackendUnavailableError } from './errors'
import { selectBackend } from './node/select'

const missing = (file: string) => `/nonexistent-simd-wasm-dir/${file}`

afterAll(() => registerSimdBackend())

test("selectBackend('simd') after a wasm load failure names the wasm file in the first error", async () => {
  registerSimdBackend({ wasmUrl: missing })
  // The factory is still registered: only tf.setBackend finds out that the file is missing.
  expect(simdLoadError()).toBeUndefined()
  const error = await selectBackend('simd').catch((e: unknown) => e)
  expect(error).toBeInstanceOf(BackendUnavailableError)
  const e = error as BackendUnavailableError
  expect(e.code).toBe('BACKENDS_UNAVAILABLE')
  expect(e.reason).toContain('/nonexistent-simd-wasm-dir/')
  expect(e.reason).not.toContain('\n')
  expect(e.message).toContain('/nonexistent-simd-wasm-dir/')
  expect(e.message).not.toContain('failed to initialise')
  expect(e.cause).toBe(simdLoadError())
})
