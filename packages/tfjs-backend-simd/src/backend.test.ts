import * as tf from '@tensorflow/tfjs-core'
import { afterAll, describe, expect, test } from 'vitest'
import {
  BACKEND_NAME,
  getSimdBackend,
  getThreadsCount,
  registeredKernels,
  registerSimdBackend,
  setThreadsCount,
  simdFeatures,
  SimdBackendError,
  SimdConfigError,
  WasmLoadError,
} from './index'
import { KERNELS } from './register-kernels'
import { Runtime } from './runtime'
import { MODES, useMode } from './_testing'

afterAll(() => setThreadsCount(2))

describe('registration', () => {
  test('simd is a tfjs backend and becomes the active one', async () => {
    registerSimdBackend()
    expect(await tf.setBackend('simd')).toBe(true)
    expect(tf.getBackend()).toBe(BACKEND_NAME)
    expect(getSimdBackend()).toBeDefined()
  })

  test('every CPU kernel is registered for simd too, the wasm ones replaced', () => {
    const simd = new Map(tf.getKernelsForBackend('simd').map((k) => [k.kernelName, k]))
    for (const k of tf.getKernelsForBackend('cpu')) expect(simd.has(k.kernelName), k.kernelName).toBe(true)
    for (const k of KERNELS) expect(simd.get(k.kernelName)!.kernelFunc).toBe(k.kernelFunc)
    expect(registeredKernels()).toEqual(KERNELS.map((k) => k.kernelName).sort())
    expect(registeredKernels()).toEqual(
      expect.arrayContaining([
        'Conv2D',
        'Conv2DBackpropFilter',
        'Conv2DBackpropInput',
        'FusedBatchNorm',
        'MaxPool',
        'MaxPoolGrad',
        'Relu',
        'Step',
        'Multiply',
        'Sum',
        'Mean',
        'BatchMatMul',
      ]),
    )
  })

  test('a kernel without a wasm version (fallback to the CPU kernel) works', async () => {
    await tf.setBackend('simd')
    const before = tf.memory().numTensors
    const x = tf.tensor1d([3, 1, 2, 5, 4])
    const { values, indices } = tf.topk(x, 2)
    expect(Array.from(await values.data())).toEqual([5, 4])
    expect(Array.from(await indices.data())).toEqual([3, 4])
    const c = tf.cumsum(x)
    expect(Array.from(await c.data())).toEqual([3, 4, 6, 11, 15])
    tf.dispose([x, values, indices, c])
    expect(tf.memory().numTensors).toBe(before)
  })

  test('int32 inputs go to the CPU kernel', async () => {
    await tf.setBackend('simd')
    const a = tf.tensor1d([1, 2, 3], 'int32')
    const s = tf.add(a, a)
    expect(s.dtype).toBe('int32')
    expect(Array.from(await s.data())).toEqual([2, 4, 6])
    tf.dispose([a, s])
  })
})

describe('memory', () => {
  test('wasm kernel outputs live in wasm memory; data() returns a copy that outlives the tensor', async () => {
    await useMode(MODES[0]!)
    const b = getSimdBackend()!
    const x = tf.tensor1d([1, -2, 3, -4])
    const y = tf.relu(x)
    expect(b.ptrOf(y.dataId)).toBeTypeOf('number')
    const kept = y.dataSync()
    y.dispose()
    // Reuse the freed block, then check the copy did not change.
    const z = tf.relu(tf.tensor1d([9, 9, 9, 9]))
    expect(Array.from(kept)).toEqual([1, 0, 3, 0])
    tf.dispose([x, z])
  })

  test('a CPU kernel returning a view of a wasm tensor (Slice) gets its own copy', async () => {
    await useMode(MODES[0]!)
    const x = tf.tensor1d([1, -2, 3, -4, 5, -6, 7, -8])
    const y = tf.relu(x)
    const s = tf.slice(y, [0], [4])
    y.dispose()
    const z = tf.relu(tf.tensor1d([9, 9, 9, 9, 9, 9, 9, 9])) // reuses y's block
    expect(Array.from(await s.data())).toEqual([1, 0, 3, 0])
    tf.dispose([x, s, z])
  })

  test('a tensor made by a CPU kernel moves into wasm memory on first wasm use, values intact', async () => {
    await useMode(MODES[0]!)
    const b = getSimdBackend()!
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
    ])
    expect(b.ptrOf(x.dataId)).toBeUndefined()
    const y = tf.mul(x, x)
    expect(b.ptrOf(x.dataId)).toBeTypeOf('number')
    expect(Array.from(await x.data())).toEqual([1, 2, 3, 4])
    expect(Array.from(await y.data())).toEqual([1, 4, 9, 16])
    const inUse = b.rt.heap.bytesInUse
    tf.dispose([x, y])
    expect(b.rt.heap.bytesInUse).toBeLessThan(inUse)
  })

  test('memory() reports the wasm heap', async () => {
    await tf.setBackend('simd')
    const info = tf.memory() as tf.MemoryInfo & { wasmBytesInUse?: number }
    expect(info.numTensors).toBeGreaterThanOrEqual(0)
    const m = getSimdBackend()!.memory()
    expect(m.wasmBytesReserved).toBeGreaterThan(0)
  })
})

describe('features and settings', () => {
  test('feature detection', () => {
    const f = simdFeatures()
    expect(f.simd).toBe(true)
    // Node 22+: on by default; Node 20: the detection turns V8's flag on (vitest passes no flags)
    expect(f.relaxedSimd).toBe(true)
    expect(f.threads).toBe(true)
    expect(f.build).toBe(f.relaxedSimd ? 'relaxed-simd' : 'simd')
  })

  test('threads count: validated, applied to the running backend', async () => {
    expect(() => setThreadsCount(0)).toThrow(SimdConfigError)
    expect(() => setThreadsCount(1.5)).toThrow(/threads=1.5: expected an integer from 1 to 64/)
    try {
      setThreadsCount(0)
    } catch (e) {
      expect(e).toBeInstanceOf(SimdBackendError)
      expect((e as SimdBackendError).code).toBe('SIMD_BAD_THREADS')
      expect((e as Error).message).toMatch(/^\[@mnist\/backend-simd\]/)
    }
    registerSimdBackend()
    setThreadsCount(3)
    await tf.setBackend('simd')
    const rt = getSimdBackend()!.rt
    for (let i = 0; i < 300 && rt.threads < 3; i++) await new Promise((r) => setTimeout(r, 10))
    expect(rt.threads).toBe(3)
    setThreadsCount(1)
    expect(rt.threads).toBe(1)
    expect(getThreadsCount()).toBe(1)
  })

  test('workers that cannot start leave a working single-threaded backend', async () => {
    const proto = Runtime.prototype as unknown as { spawn: (init: object) => Promise<unknown> }
    const spawn = proto.spawn
    proto.spawn = () => Promise.reject(new TypeError('no threads here'))
    try {
      setThreadsCount(2)
      registerSimdBackend()
      expect(await tf.setBackend('simd')).toBe(true)
      const rt = getSimdBackend()!.rt
      expect(rt.threads).toBe(1)
      expect(String(rt.workerStartError)).toContain('no threads here')
      const y = tf.relu(tf.tensor1d([-1, 2]))
      expect(Array.from(await y.data())).toEqual([0, 2])
      y.dispose()
    } finally {
      proto.spawn = spawn
    }
    registerSimdBackend()
    await tf.setBackend('simd')
  })

  test('a trap in a worker is reported, not a hang, and the backend keeps working', async () => {
    setThreadsCount(2)
    registerSimdBackend()
    await tf.setBackend('simd')
    const rt = getSimdBackend()!.rt
    for (let i = 0; i < 300 && rt.threads < 2; i++) await new Promise((r) => setTimeout(r, 10))
    expect(rt.threads).toBe(2)
    const p = rt.heap.alloc(64)
    // job 1 (the worker) writes far outside the memory: a wasm trap
    expect(() =>
      rt.run('fill_f32', [
        [p, 1, 4],
        [2_000_000_000, 1, 4],
      ]),
    ).toThrow(/worker thread trapped while running fill_f32/)
    // the worker survived: both halves of a split job get done
    rt.run('fill_f32', [
      [p, 3, 4],
      [p + 16, 5, 4],
    ])
    expect(Array.from(rt.heap.f32().subarray(p >> 2, (p >> 2) + 8))).toEqual([3, 3, 3, 3, 5, 5, 5, 5])
    // more jobs than threads: an error naming the kernel, not a hang
    expect(() =>
      rt.run('fill_f32', [
        [p, 1, 4],
        [p + 16, 1, 4],
        [p + 32, 1, 4],
      ]),
    ).toThrow(/fill_f32: 3 jobs for 2 running threads/)
    rt.heap.free(p)
    const y = tf.conv2d(tf.ones([4, 8, 8, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 4]) as tf.Tensor4D, 1, 'same')
    expect((await y.data())[(8 + 1) * 4]).toBe(18)
    y.dispose()
  })

  test('an unsupported build is a typed error', async () => {
    await expect(Runtime.create({ build: 'avx512' as never })).rejects.toMatchObject({ code: 'SIMD_UNSUPPORTED_BUILD' })
  })

  test('a missing wasm file is a typed error naming the file', async () => {
    const err = await Runtime.create({ wasmUrl: () => new URL('file:///nonexistent/simd.wasm') }).catch(
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(WasmLoadError)
    expect((err as WasmLoadError).code).toBe('SIMD_WASM_NOT_FOUND')
    expect((err as Error).message).toContain('/nonexistent/simd.wasm')
  })

  test('removing the backend disposes it; kernels then refuse to run', async () => {
    registerSimdBackend()
    await tf.setBackend('simd')
    const rt = getSimdBackend()!.rt
    tf.removeBackend('simd')
    expect(() => rt.run('fill_f32', [[0, 0, 0]])).toThrow(/disposed/)
    registerSimdBackend()
    expect(await tf.setBackend('simd')).toBe(true)
  })
})
