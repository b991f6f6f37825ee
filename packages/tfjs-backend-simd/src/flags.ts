import { SimdConfigError } from './errors'
import { shared } from './process-state'

export type SimdBuild = 'relaxed-simd' | 'simd' | 'scalar'

export interface SimdFeatures {
  /** The runtime validates WebAssembly SIMD (v128) modules. */
  simd: boolean
  /**
   * The runtime validates relaxed-SIMD modules (fused multiply-add). On Node 20 the detection turns on V8's
   * --experimental-wasm-relaxed-simd flag at run time (Node 22+ has relaxed SIMD on by default).
   */
  relaxedSimd: boolean
  /** Shared WebAssembly memory and workers are usable (Node, or a cross-origin-isolated page). */
  threads: boolean
  /** The build loaded by default on this runtime. */
  build: SimdBuild
}

// Smallest modules that use one feature each; validated, never run.
// (module (func (result v128) v128.const i32x4 0 0 0 0))
const SIMD_PROBE: Uint8Array<ArrayBuffer> = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 11,
])
// (module (func (result v128) v128.const 0 0 0 0 (v128.const ..) (v128.const ..) f32x4.relaxed_madd))
const RELAXED_PROBE: Uint8Array<ArrayBuffer> = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 253, 133, 2, 11,
])

function validate(bytes: Uint8Array<ArrayBuffer>): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)
  } catch {
    return false
  }
}

export const isNode: boolean = typeof process !== 'undefined' && process.versions?.node != null

/** Major version of the running Node (0 outside Node). */
export function nodeMajor(): number {
  return isNode ? Number(process.versions.node.split('.')[0]) : 0
}

// The last Node line whose V8 has relaxed SIMD behind --experimental-wasm-relaxed-simd; from Node 22 it is on by
// default and the flag is gone (V8 prints "unrecognized flag" to stderr when it is set at run time, and Node refuses it
// on the command line).
const LAST_NODE_WITH_RELAXED_FLAG = 21

function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false
  // Browsers expose shared wasm memory to workers only in a cross-origin-isolated page.
  if (!isNode && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== true) return false
  try {
    const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true })
    return m.buffer instanceof SharedArrayBuffer
  } catch {
    return false
  }
}

let cachedFeatures: SimdFeatures | undefined

/** Feature detection (cached): which wasm build this runtime can load, and whether threads are possible. */
export function simdFeatures(): SimdFeatures {
  if (cachedFeatures) return { ...cachedFeatures }
  const simd = validate(SIMD_PROBE)
  const relaxedSimd = simd && (validate(RELAXED_PROBE) || enableRelaxedSimdInNode())
  const threads = sharedMemoryAvailable()
  cachedFeatures = { simd, relaxedSimd, threads, build: relaxedSimd ? 'relaxed-simd' : simd ? 'simd' : 'scalar' }
  return { ...cachedFeatures }
}

/** Sets a V8 flag at run time in Node (v8.setFlagsFromString); false where that is not possible. */
export function setNodeV8Flag(flag: string): boolean {
  if (!isNode) return false
  const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule
  const v8 = (typeof get === 'function' ? get('node:v8') : nodeV8) as
    { setFlagsFromString?: (flags: string) => void } | undefined
  if (typeof v8?.setFlagsFromString !== 'function') return false
  try {
    v8.setFlagsFromString(flag)
    return true
  } catch {
    return false
  }
}

/**
 * Node 20 implements relaxed SIMD (fused multiply-add) behind --experimental-wasm-relaxed-simd, on by default from
 * Node 22. Turning the V8 flag on at run time (before any relaxed module is compiled) gives Node 20 users the faster
 * build without a command-line flag. Only tried on Node lines that have the flag: newer V8s would print an
 * "unrecognized flag" error. Returns whether relaxed SIMD now validates.
 */
function enableRelaxedSimdInNode(): boolean {
  if (!isNode || nodeMajor() > LAST_NODE_WITH_RELAXED_FLAG) return false
  return setNodeV8Flag('--experimental-wasm-relaxed-simd') && validate(RELAXED_PROBE)
}

export function checkBuild(build: SimdBuild): SimdBuild {
  const f = simdFeatures()
  const ok = build === 'scalar' || (build === 'simd' && f.simd) || (build === 'relaxed-simd' && f.relaxedSimd)
  if (build !== 'scalar' && build !== 'simd' && build !== 'relaxed-simd') {
    throw new SimdConfigError('SIMD_UNSUPPORTED_BUILD', 'build', build, "'relaxed-simd', 'simd' or 'scalar'")
  }
  if (!ok) {
    const hint =
      build === 'relaxed-simd' && isNode && nodeMajor() <= LAST_NODE_WITH_RELAXED_FLAG
        ? `; Node ${nodeMajor()} has it only behind --experimental-wasm-relaxed-simd`
        : ''
    throw new SimdConfigError(
      'SIMD_UNSUPPORTED_BUILD',
      'build',
      build,
      `a build this runtime supports (detected: ${f.build}${hint})`,
    )
  }
  return build
}

type NodeOs = { availableParallelism?: () => number; cpus: () => unknown[] }
let nodeOs: NodeOs | undefined
let nodeV8: unknown

/** Node >= 20.16 has process.getBuiltinModule; older Node 20 gets `os` from loadNodeOs() during backend init. */
function getNodeOs(): NodeOs | undefined {
  if (nodeOs) return nodeOs
  const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule
  if (typeof get === 'function') nodeOs = get('node:os') as NodeOs
  return nodeOs
}

export async function loadNodeOs(): Promise<void> {
  const id = 'node:os' // through a variable: browser bundlers leave it alone
  if (isNode && !getNodeOs()) nodeOs = (await import(/* webpackIgnore: true */ /* @vite-ignore */ id)) as NodeOs
  const v8 = 'node:v8'
  if (isNode && nodeV8 === undefined) nodeV8 = await import(/* webpackIgnore: true */ /* @vite-ignore */ v8)
}

function defaultThreads(): number {
  const env = isNode ? process.env.MNIST_THREADS : undefined
  if (env != null && env !== '') return parseThreads(env, 'MNIST_THREADS')
  const os = isNode ? getNodeOs() : undefined
  if (os) return Math.max(1, os.availableParallelism?.() ?? os.cpus().length)
  const hc = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency
  return Math.max(1, Math.min(MAX_THREADS, hc ?? 1))
}

export const MAX_THREADS = 64

function parseThreads(value: unknown, setting: string): number {
  const n = typeof value === 'string' ? Number(value) : value
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new SimdConfigError('SIMD_BAD_THREADS', setting, value, `an integer from 1 to ${MAX_THREADS}`)
  }
  return n
}

/** Number of threads (main thread included) the simd kernels split work over. */
export function getThreadsCount(): number {
  shared.threadsCount ??= defaultThreads()
  return shared.threadsCount
}

/**
 * Sets the number of threads (main thread included). 1 = no workers. Applies to a running backend at once
 * (new workers join when they have started). Default: available cores, or env MNIST_THREADS.
 */
export function setThreadsCount(n: number): void {
  const count = parseThreads(n, 'threads')
  shared.threadsCount = count
  for (const l of shared.threadListeners) l(count)
}

export function onThreadsCountChange(l: (n: number) => void): () => void {
  shared.threadListeners.add(l)
  return () => shared.threadListeners.delete(l)
}
