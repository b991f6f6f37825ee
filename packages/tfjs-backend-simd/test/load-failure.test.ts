// A wasm file that cannot be loaded: the backend says why and tfjs goes on with the next backend.
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, expect, test } from 'vitest'
import { BACKEND_PRIORITY, registerSimdBackend, simdLoadError, WasmLoadError } from '../src/index'

const missing = (file: string) => `/nonexistent-simd-wasm-dir/${file}`

afterAll(() => registerSimdBackend())

test("setBackend('simd') resolves false, names wasmUrl's file, and ops run on the next backend", async () => {
  registerSimdBackend({ wasmUrl: missing })
  expect(await tf.setBackend('simd')).toBe(false)
  expect(tf.getBackend()).not.toBe('simd')
  const err = simdLoadError()
  expect(err).toBeInstanceOf(WasmLoadError)
  expect((err as WasmLoadError).code).toBe('SIMD_WASM_NOT_FOUND')
  expect(err!.message).toContain('/nonexistent-simd-wasm-dir/')
  await tf.ready()
  expect(tf.getBackend()).toBe('cpu')
  const y = tf.add(tf.scalar(1), tf.scalar(2))
  expect(await y.data()).toEqual(new Float32Array([3]))
  y.dispose()
})

test('picked by priority (tf.ready() with no backend set): tfjs ends on the next backend', async () => {
  registerSimdBackend()
  expect(await tf.setBackend('simd')).toBe(true)
  expect(simdLoadError()).toBeUndefined()
  // Replacing the active backend's registration leaves tfjs with no backend: ready() picks the best by priority.
  registerSimdBackend({ wasmUrl: missing }, 100)
  await tf.ready()
  expect(tf.getBackend()).toBe('cpu')
  expect(simdLoadError()?.message).toContain('/nonexistent-simd-wasm-dir/')
  expect(tf.engine().registryFactory.simd).toBeUndefined()
})

test('a later registration that loads clears the error', async () => {
  registerSimdBackend({ wasmUrl: missing })
  expect(await tf.setBackend('simd')).toBe(false)
  registerSimdBackend({}, BACKEND_PRIORITY)
  expect(await tf.setBackend('simd')).toBe(true)
  expect(simdLoadError()).toBeUndefined()
})
