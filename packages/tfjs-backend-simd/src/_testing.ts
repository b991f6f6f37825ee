// Test helpers (not part of the public API): run one kernel on 'cpu' and on 'simd' and compare.
import * as tf from '@tensorflow/tfjs-core'
import { getSimdBackend, registerSimdBackend, type SimdBackendOptions } from './base'
import { SimdBackendError } from './errors'
import { setThreadsCount } from './flags'
import type { SimdBuild } from './flags'

export interface Mode {
  label: string
  build: SimdBuild
  threads: number
  sharedMemory: boolean
}

/** Every build this package ships, threaded and single-threaded, plus the copy-in/copy-out (unshared) path. */
export const MODES: Mode[] = [
  { label: 'simd, 2 threads', build: 'simd', threads: 2, sharedMemory: true },
  { label: 'simd, 1 thread', build: 'simd', threads: 1, sharedMemory: true },
  { label: 'relaxed-simd, 2 threads', build: 'relaxed-simd', threads: 2, sharedMemory: true },
  { label: 'scalar, 2 threads', build: 'scalar', threads: 2, sharedMemory: true },
  { label: 'simd, unshared memory', build: 'simd', threads: 1, sharedMemory: false },
]

export async function useMode(mode: Mode, extra: SimdBackendOptions = {}): Promise<void> {
  setThreadsCount(mode.threads)
  // parallelThreshold 0: split even tiny test kernels over the threads, so the threaded paths are exercised.
  registerSimdBackend({ build: mode.build, sharedMemory: mode.sharedMemory, parallelThreshold: 0, ...extra })
  await tf.setBackend('simd')
}

/** Deterministic N(0,1)-ish floats. */
export function randn(n: number, seed: number): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    let acc = 0
    for (let j = 0; j < 4; j++) {
      s ^= s << 13
      s >>>= 0
      s ^= s >>> 17
      s ^= s << 5
      s >>>= 0
      acc += s / 4294967296
    }
    out[i] = (acc - 2) * 1.7320508
  }
  return out
}

export interface InputSpec {
  shape: number[]
  values?: Float32Array | Int32Array
  dtype?: tf.DataType
}

export interface KernelResult {
  shape: number[]
  values: Float32Array | Int32Array | Uint8Array
}

/** Calls into wasm (Runtime.run) made by the running simd backend so far; 0 when none runs. */
export function wasmCalls(): number {
  return getSimdBackend()?.rt.calls ?? 0
}

/** Runs f and returns its result and the number of wasm calls it made. */
export function countWasmCalls<T>(f: () => T): { result: T; calls: number } {
  const before = wasmCalls()
  const result = f()
  return { result, calls: wasmCalls() - before }
}

/** Runs kernel `name` with the given inputs on `backend`; returns every output read back. */
export async function runOn(
  backend: string,
  name: string,
  inputs: Record<string, InputSpec>,
  attrs: Record<string, unknown>,
): Promise<KernelResult[] & { wasmCalls: number }> {
  await tf.setBackend(backend)
  const before = tf.memory().numTensors
  const ts: tf.NamedTensorMap = {}
  let seed = 1
  for (const [k, spec] of Object.entries(inputs)) {
    const n = spec.shape.reduce((a, b) => a * b, 1)
    ts[k] = tf.tensor(spec.values ?? randn(n, seed++), spec.shape, spec.dtype ?? 'float32')
  }
  const { result: out, calls } = countWasmCalls(
    () => tf.engine().runKernel(name, ts, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[],
  )
  const outs = Array.isArray(out) ? out : [out]
  const res = Object.assign([] as KernelResult[], { wasmCalls: calls })
  for (const o of outs) res.push({ shape: o.shape, values: (await o.data()) as Float32Array })
  tf.dispose(outs)
  tf.dispose(ts)
  if (tf.memory().numTensors !== before) {
    throw new SimdBackendError('SIMD_KERNEL_FAILED', `${name} on ${backend} leaked tensors`)
  }
  return res
}

/** Max over elements of |a-b| / max(1, |b|). */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity
  let m = 0
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!))
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d
  }
  return m
}

/**
 * Runs kernel `name` on cpu and on simd; `err` is the largest relative difference, `wasmCalls` the calls into wasm the
 * simd run made (0: it fell back to the cpu kernel).
 */
export async function compareKernel(
  name: string,
  inputs: Record<string, InputSpec>,
  attrs: Record<string, unknown>,
): Promise<{ err: number; shapes: number[][]; wasmCalls: number }> {
  const ref = await runOn('cpu', name, inputs, attrs)
  const got = await runOn('simd', name, inputs, attrs)
  let err = 0
  for (let i = 0; i < ref.length; i++) {
    if (JSON.stringify(ref[i]!.shape) !== JSON.stringify(got[i]!.shape)) {
      return { err: Infinity, shapes: got.map((g) => g.shape), wasmCalls: got.wasmCalls }
    }
    err = Math.max(err, maxRelErr(got[i]!.values, ref[i]!.values))
  }
  return { err, shapes: got.map((g) => g.shape), wasmCalls: got.wasmCalls }
}
