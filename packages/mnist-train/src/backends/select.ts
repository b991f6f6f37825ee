import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { BackendUnavailableError, InvalidTrainConfigError, MnistTrainError } from '../errors'
import { registerCpuTrainingKernels } from './cpu-kernels'
import { registerWasmTrainingKernels } from './wasm-kernels'

/** Our names for the backends, fastest first (the order `auto` tries them in). */
export const BACKEND_ORDER = ['node-gpu', 'node', 'webgpu', 'simd', 'wasm', 'cpu'] as const
export type BackendName = (typeof BACKEND_ORDER)[number]
export type BackendRequest = 'auto' | BackendName

export interface SelectBackendOptions {
  /** Threads for the simd and wasm backends (default: what the backend picks, usually the core count). */
  threads?: number
  /**
   * Accept a software or fallback WebGPU adapter (lavapipe, SwiftShader). Default: `true` when `webgpu` is asked for
   * by name, always `false` for `auto` (a software adapter is slower than the WebAssembly backends).
   */
  allowSoftwareWebGpu?: boolean
}

export interface SkippedBackend {
  backend: BackendName
  /** One line: why it cannot run here. */
  reason: string
}

export interface BackendSelection {
  /** Our name of the backend now active. */
  backend: BackendName
  /** The tfjs backend name now active (`tensorflow` for node / node-gpu). */
  tfBackend: string
  /** What it runs on, in words (e.g. "WebAssembly SIMD, 2 threads"). */
  device: string
  /** Backends `auto` tried first and skipped, in order, with the reason. Empty for an explicit request. */
  skipped: SkippedBackend[]
}

export interface BackendStatus {
  backend: BackendName
  available: boolean
  /** For an available backend: what it runs on. */
  device?: string
  /** For an unavailable backend: why. */
  reason?: string
  /** For an unavailable backend: what to do about it. */
  fix?: string
  /** Feature flags where the backend has them (simd: simd / relaxedSimd / threads / build; wasm: simd, threads). */
  features?: Record<string, unknown>
}

type Probe =
  | { ok: true; tfBackend: string; device: () => Promise<string>; features?: () => Promise<Record<string, unknown>> }
  | { ok: false; reason: string; fix: string; cause?: unknown }

const localRequire = createRequire(import.meta.url)

/**
 * Make a backend the active tfjs backend. `auto` tries `BACKEND_ORDER` and takes the first that works, reporting each
 * one skipped with a one-line reason; a backend asked for by name that cannot run throws `BackendUnavailableError`
 * (reason + fix). Also registers tfjs-core's gradients (its Node bundle registers none) and silences tfjs's console
 * banners (production mode), since a library must not print.
 */
export async function selectBackend(
  requested: BackendRequest = 'auto',
  options: SelectBackendOptions = {},
): Promise<BackendSelection> {
  if (requested !== 'auto' && !(BACKEND_ORDER as readonly string[]).includes(requested)) {
    throw new InvalidTrainConfigError('backend', `one of auto, ${BACKEND_ORDER.join(', ')}`, requested)
  }
  checkThreads(options.threads)
  await prepareTfjs()
  const candidates: readonly BackendName[] = requested === 'auto' ? BACKEND_ORDER : [requested]
  const skipped: SkippedBackend[] = []
  for (const name of candidates) {
    const probe = await probeBackend(name, requested === 'auto', options)
    if (probe.ok) {
      const active = await activate(name, probe.tfBackend)
      if (active.ok) {
        return { backend: name, tfBackend: probe.tfBackend, device: await probe.device(), skipped }
      }
      if (requested !== 'auto') throw new BackendUnavailableError(name, active.reason, active.fix, { cause: active.cause })
      skipped.push({ backend: name, reason: active.reason })
      continue
    }
    if (requested !== 'auto') throw new BackendUnavailableError(name, probe.reason, probe.fix, { cause: probe.cause })
    skipped.push({ backend: name, reason: probe.reason })
  }
  /* c8 ignore next 2: cpu is pure JS and always initialises */
  throw new BackendUnavailableError('auto', skipped.map((s) => `${s.backend}: ${s.reason}`).join('; '), 'install @tensorflow/tfjs-backend-cpu')
}

/**
 * Every backend: whether it can run here, on what, or why not and how to fix it (for `mnist info`). Backends are
 * initialised to find out; the active backend is restored afterwards.
 */
export async function listBackends(options: SelectBackendOptions = {}): Promise<BackendStatus[]> {
  checkThreads(options.threads)
  await prepareTfjs()
  const previous = tf.engine().backendName as string | null | undefined
  const out: BackendStatus[] = []
  try {
    for (const name of BACKEND_ORDER) {
      const probe = await probeBackend(name, options.allowSoftwareWebGpu !== true, options)
      if (!probe.ok) {
        out.push({ backend: name, available: false, reason: probe.reason, fix: probe.fix })
        continue
      }
      const active = await activate(name, probe.tfBackend)
      out.push(
        active.ok
          ? {
              backend: name,
              available: true,
              device: await probe.device(),
              ...(probe.features ? { features: await probe.features() } : {}),
            }
          : { backend: name, available: false, reason: active.reason, fix: active.fix },
      )
    }
  } finally {
    if (previous) await tf.setBackend(previous)
  }
  return out
}

let prepared = false
async function prepareTfjs(): Promise<void> {
  if (prepared) return
  // tfjs-core's Node bundle registers no gradient. tfjs-layers' Node bundle registers all of tfjs-core's (its copy of
  // register_all_gradients); tfjs-core's own dist/register_all_gradients.js is ES-module source that Node would load
  // as CommonJS, so it cannot be imported here. Check rather than assume.
  await import('@tensorflow/tfjs-layers')
  const missing = ['Conv2D', 'FusedBatchNorm', 'MaxPool', 'Relu', 'Mean', 'Softmax', 'BatchMatMul'].filter((k) => tf.getGradient(k) == null)
  if (missing.length > 0) {
    throw new MnistTrainError(
      'MNIST_TRAIN_BACKEND_UNAVAILABLE',
      `tfjs gradients are not registered (missing ${missing.join(', ')}): load @tensorflow/tfjs-layers 4.22 from the same tfjs-core copy`,
    )
  }
  // Production mode only silences tfjs's console banners ("looks like you are running in Node.js", ...).
  tf.env().set('PROD', true)
  prepared = true
}

function checkThreads(threads: number | undefined): void {
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 256)) {
    throw new InvalidTrainConfigError('threads', 'an integer in [1, 256]', threads)
  }
}

async function activate(
  name: BackendName,
  tfBackend: string,
): Promise<{ ok: true } | { ok: false; reason: string; fix: string; cause?: unknown }> {
  try {
    if (await tf.setBackend(tfBackend)) return { ok: true }
    return { ok: false, reason: `the ${tfBackend} backend failed to initialise`, fix: FIXES[name] }
  } catch (error) {
    return { ok: false, reason: `initialisation failed: ${firstLine(error)}`, fix: FIXES[name], cause: error }
  }
}

const FIXES: Record<BackendName, string> = {
  'node-gpu':
    'install @tensorflow/tfjs-node-gpu with internet access on a Linux machine with CUDA 11.8 and cuDNN 8 (its install ' +
    'script downloads libtensorflow), e.g. "pnpm rebuild @tensorflow/tfjs-node-gpu"; or use --backend auto',
  node:
    'reinstall @tensorflow/tfjs-node with internet access (its install script downloads libtensorflow), e.g. ' +
    '"pnpm rebuild @tensorflow/tfjs-node", or build it from source with "npm rebuild @tensorflow/tfjs-node ' +
    '--build-addon-from-source"; or use --backend auto',
  webgpu:
    'needs a GPU with a Vulkan, Metal or D3D12 driver that Dawn (npm package "webgpu") can open; for a software adapter ' +
    'on Debian 12 run .ci/setup-webgpu.sh and set EGL_PLATFORM=surfaceless MNIST_WEBGPU_BACKEND=opengles (Mesa llvmpipe ' +
    'over OpenGL ES), or install Mesa >= 25 lavapipe; or use --backend auto',
  simd: 'build it: "pnpm --filter @mnist/backend-simd build" (needs WebAssembly SIMD, Node >= 16.4); or use --backend wasm',
  wasm: 'reinstall @tensorflow/tfjs-backend-wasm (its dist/*.wasm files must be present); or use --backend cpu',
  cpu: 'reinstall @tensorflow/tfjs-backend-cpu',
}

async function probeBackend(name: BackendName, forAuto: boolean, options: SelectBackendOptions): Promise<Probe> {
  switch (name) {
    case 'node-gpu':
      return probeTfjsNode('@tensorflow/tfjs-node-gpu', 'node-gpu', 'libtensorflow with CUDA (tfjs-node-gpu)')
    case 'node':
      return probeTfjsNode('@tensorflow/tfjs-node', 'node', 'libtensorflow on the CPU (tfjs-node)')
    case 'webgpu':
      return probeWebGpuBackend(forAuto ? false : (options.allowSoftwareWebGpu ?? true))
    case 'simd':
      return probeSimd(options.threads)
    case 'wasm':
      return probeWasm(options.threads)
    case 'cpu':
      return probeCpu()
  }
}

/**
 * tfjs-node(-gpu): look for the native addon before requiring the package, so a missing addon costs nothing and the
 * reason is one line (the package's own error is a paragraph). Requiring it registers the `tensorflow` backend.
 */
function probeTfjsNode(pkg: string, name: 'node' | 'node-gpu', device: string): Probe {
  let pkgJson: string
  try {
    pkgJson = localRequire.resolve(`${pkg}/package.json`)
  } catch (error) {
    return { ok: false, reason: `${pkg} is not installed`, fix: FIXES[name], cause: error }
  }
  try {
    const pkgRequire = createRequire(pkgJson)
    const preGyp = pkgRequire('@mapbox/node-pre-gyp') as { find(packageJsonPath: string): string }
    const binding = preGyp.find(pkgJson)
    if (!existsSync(binding)) {
      const rel = path.relative(path.dirname(pkgJson), binding)
      return {
        ok: false,
        reason: `${pkg} is installed but its native addon (${rel}) is missing: its install script could not download libtensorflow`,
        fix: FIXES[name],
      }
    }
  } catch (error) {
    return { ok: false, reason: `${pkg}: cannot locate its native addon: ${firstLine(error)}`, fix: FIXES[name], cause: error }
  }
  try {
    localRequire(pkg)
  } catch (error) {
    return { ok: false, reason: `${pkg} failed to load: ${firstLine(error)}`, fix: FIXES[name], cause: error }
  }
  if (tf.findBackendFactory('tensorflow') == null) {
    return {
      ok: false,
      reason: `${pkg} loaded but registered no "tensorflow" backend on this copy of @tensorflow/tfjs-core (two tfjs-core copies?)`,
      fix: 'make sure a single @tensorflow/tfjs-core 4.22.0 is installed',
    }
  }
  return { ok: true, tfBackend: 'tensorflow', device: async () => device }
}

async function probeWebGpuBackend(allowSoftware: boolean): Promise<Probe> {
  try {
    const webgpu = await import('./webgpu')
    const probe = await webgpu.probeWebGpu({ allowSoftware })
    if (!probe.available) {
      return { ok: false, reason: probe.reason ?? 'no usable WebGPU adapter', fix: FIXES.webgpu }
    }
    await webgpu.registerWebGpuBackend({ allowSoftware })
    const adapter = probe.adapter
    const kind = adapter === undefined ? '' : adapter.software || adapter.isFallbackAdapter ? ' (software adapter)' : ''
    return { ok: true, tfBackend: 'webgpu', device: async () => `WebGPU: ${adapter?.description ?? 'unknown adapter'}${kind}` }
  } catch (error) {
    const reason = error instanceof BackendUnavailableError ? error.reason : `WebGPU could not start: ${firstLine(error)}`
    return { ok: false, reason, fix: FIXES.webgpu, cause: error }
  }
}

/** The surface of @mnist/backend-simd this package relies on. */
interface SimdModule {
  simdFeatures?: () => unknown
  setThreadsCount?: (threads: number) => void
  getThreadsCount?: () => number
}

async function probeSimd(threads: number | undefined): Promise<Probe> {
  let mod: SimdModule
  try {
    mod = (await import('@mnist/backend-simd')) as SimdModule
  } catch (error) {
    return { ok: false, reason: `@mnist/backend-simd could not be loaded: ${firstLine(error)}`, fix: FIXES.simd, cause: error }
  }
  if (tf.findBackendFactory('simd') == null) {
    return { ok: false, reason: '@mnist/backend-simd loaded but registered no "simd" backend', fix: FIXES.simd }
  }
  if (threads !== undefined) {
    try {
      mod.setThreadsCount?.(threads)
    } catch (error) {
      return { ok: false, reason: `cannot use ${threads} threads: ${firstLine(error)}`, fix: FIXES.simd, cause: error }
    }
  }
  const features = (): Record<string, unknown> => {
    const f = mod.simdFeatures?.()
    return f !== null && typeof f === 'object' ? { ...(f as Record<string, unknown>) } : {}
  }
  return {
    ok: true,
    tfBackend: 'simd',
    device: async () => {
      const f = features()
      const build = typeof f['build'] === 'string' ? `${f['build']} build` : f['simd'] ? 'SIMD' : 'no SIMD'
      const n = mod.getThreadsCount?.()
      const threads = typeof n === 'number' ? `, ${n} thread${n === 1 ? '' : 's'}` : ''
      return `WebAssembly (@mnist/backend-simd, ${build}${threads})`
    },
    features: async () => features(),
  }
}

let wasmThreads: number | undefined
async function probeWasm(threads: number | undefined): Promise<Probe> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm')
  let distDir: string
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm')
    distDir = path.dirname(localRequire.resolve('@tensorflow/tfjs-backend-wasm'))
  } catch (error) {
    return { ok: false, reason: `@tensorflow/tfjs-backend-wasm could not be loaded: ${firstLine(error)}`, fix: FIXES.wasm, cause: error }
  }
  if (!existsSync(path.join(distDir, 'tfjs-backend-wasm.wasm'))) {
    return { ok: false, reason: `no tfjs-backend-wasm.wasm in ${distDir}`, fix: FIXES.wasm }
  }
  // In Node the emscripten loader reads the binaries from disk: point it at the installed package.
  wasm.setWasmPaths(distDir + path.sep)
  if (threads !== undefined && threads !== wasmThreads) {
    wasm.setThreadsCount(threads)
    wasmThreads = threads
  }
  registerWasmTrainingKernels()
  return {
    ok: true,
    tfBackend: 'wasm',
    device: async () => {
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')
      const n = wasm.getThreadsCount()
      return `WebAssembly (tfjs-backend-wasm, XNNPACK${simd ? ', SIMD' : ''}, ${n} thread${n === 1 ? '' : 's'})`
    },
    features: async () => ({
      simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
      threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
      threadsCount: wasm.getThreadsCount(),
    }),
  }
}

async function probeCpu(): Promise<Probe> {
  try {
    await import('@tensorflow/tfjs-backend-cpu')
  } catch (error) {
    return { ok: false, reason: `@tensorflow/tfjs-backend-cpu could not be loaded: ${firstLine(error)}`, fix: FIXES.cpu, cause: error }
  }
  registerCpuTrainingKernels()
  return { ok: true, tfBackend: 'cpu', device: async () => 'JavaScript (tfjs-backend-cpu, 1 thread)' }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const line = message.split('\n').find((l) => l.trim() !== '') ?? message
  return line.trim().length > 200 ? `${line.trim().slice(0, 197)}...` : line.trim()
}
