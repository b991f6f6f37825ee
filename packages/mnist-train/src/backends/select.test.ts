import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import { BackendUnavailableError, InvalidTrainConfigError } from '../errors'
import { BACKEND_ORDER, listBackends, selectBackend } from './select'

// This machine (and CI) has no libtensorflow native addon and no GPU: auto must skip node-gpu, node and webgpu with
// a reason each and land on simd (or wasm/cpu if simd is not built).
describe('selectBackend', () => {
  it('auto skips the native and GPU backends with one-line reasons, in order', async () => {
    const s = await selectBackend('auto')
    expect(['simd', 'wasm', 'cpu']).toContain(s.backend)
    expect(tf.getBackend()).toBe(s.tfBackend)
    const skipped = s.skipped.map((k) => k.backend)
    expect(skipped.slice(0, 3)).toEqual(['node-gpu', 'node', 'webgpu'])
    expect(skipped).toEqual(BACKEND_ORDER.slice(0, BACKEND_ORDER.indexOf(s.backend)))
    expect(s.skipped[0]!.reason).toMatch(/tfjs-node-gpu/)
    expect(s.skipped[1]!.reason).toMatch(/@tensorflow\/tfjs-node .*native addon|@tensorflow\/tfjs-node is not installed/)
    for (const k of s.skipped) expect(k.reason).not.toContain('\n')
    expect(s.device.length).toBeGreaterThan(0)
  })

  it('throws BackendUnavailableError with the reason and the fix for an explicit unavailable backend', async () => {
    const error = await selectBackend('node').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BackendUnavailableError)
    const e = error as BackendUnavailableError
    expect(e.code).toBe('MNIST_TRAIN_BACKEND_UNAVAILABLE')
    expect(e.exitCode).toBe(2)
    expect(e.backend).toBe('node')
    expect(e.message).toMatch(/^\[@mnist\/train\] backend "node" is not available: .+\. Fix: .*rebuild @tensorflow\/tfjs-node/)
  })

  it('selects cpu and wasm by name, with gradients registered', async () => {
    for (const name of ['cpu', 'wasm'] as const) {
      const s = await selectBackend(name)
      expect(s).toMatchObject({ backend: name, tfBackend: name, skipped: [] })
      expect(tf.getBackend()).toBe(name)
      expect(tf.getGradient('Conv2D')).toBeDefined()
      expect(tf.getKernel('Conv2DBackpropFilter', name)).toBeDefined()
    }
  })

  it('rejects unknown names and bad thread counts', async () => {
    await expect(selectBackend('tpu' as never)).rejects.toThrow(InvalidTrainConfigError)
    await expect(selectBackend('cpu', { threads: 0 })).rejects.toThrow(/option "threads"/)
  })
})

describe('listBackends', () => {
  it('reports every backend, available or why not, and restores the active backend', async () => {
    await selectBackend('cpu')
    const list = await listBackends()
    expect(list.map((b) => b.backend)).toEqual([...BACKEND_ORDER])
    for (const b of list) {
      if (b.available) expect(b.device).toBeTruthy()
      else expect(b.reason && b.fix).toBeTruthy()
    }
    expect(list.find((b) => b.backend === 'cpu')!.available).toBe(true)
    expect(list.find((b) => b.backend === 'wasm')!.available).toBe(true)
    expect(list.find((b) => b.backend === 'node')!.available).toBe(false)
    expect(tf.getBackend()).toBe('cpu')
  })
})
