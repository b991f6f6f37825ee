/**
 * WebGPU in Node: Dawn (the npm package `webgpu`) provides `navigator.gpu`, `@tensorflow/tfjs-backend-webgpu` runs
 * on it. Both are imported lazily, so nothing native loads unless WebGPU is asked for.
 *
 * The probe runs in a child process: Dawn writes its warnings (e.g. "Couldn't load Vulkan") straight to the native
 * stderr, where a library cannot silence them, and a broken driver can hang or crash `requestAdapter`. The child
 * keeps all of that away from the caller and is killed when it overruns its time box.
 */
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import * as tf from '@tensorflow/tfjs-core'
import { WEBGPU, WEBGPU_INSTALL } from '../backends/native'
import { BackendUnavailableError, BackendsConfigError } from '../errors'
import { isSoftwareAdapter } from '../software-adapter'

export interface WebGpuAdapterInfo {
  /** Human-readable adapter description as Dawn reports it (falls back to `device` when Dawn leaves it empty). */
  description: string
  vendor?: string
  architecture?: string
  /** Dawn's device string, e.g. `llvmpipe-llvm-15-0-6-256-bits-`. */
  device?: string
  isFallbackAdapter: boolean
  /** True for CPU implementations (lavapipe, llvmpipe, softpipe, SwiftShader, WARP, fallback adapters). */
  software: boolean
  /** `core` WebGPU, or the `compatibility` level (Dawn's OpenGL / OpenGL ES backends). */
  featureLevel: 'core' | 'compatibility'
}

export interface WebGpuProbe {
  available: boolean
  /** Why WebGPU is not usable here (set whenever `available` is false). */
  reason?: string
  adapter?: WebGpuAdapterInfo
}

export interface WebGpuOptions {
  /** Accept a software (CPU) adapter. Default false: `auto` must never pick lavapipe/llvmpipe/SwiftShader. */
  allowSoftware?: boolean
  /**
   * Dawn backend: `vulkan`, `opengles`, `opengl`, ... Default: `MNIST_WEBGPU_BACKEND`, else Dawn's own choice
   * (Vulkan on Linux). The OpenGL backends need `EGL_PLATFORM=surfaceless` without a display; it is set for you
   * when neither `DISPLAY` nor `WAYLAND_DISPLAY` is set.
   */
  backend?: string
  /** Dawn adapter name (as Dawn lists it). Default: `MNIST_WEBGPU_ADAPTER`, else the first suitable one. */
  adapter?: string
  /** Time box for finding an adapter and opening a device, in ms. Default 20000. */
  timeoutMs?: number
}

const DEFAULT_TIMEOUT_MS = 20_000
const FIX = WEBGPU.fix

/** Limits tfjs-backend-webgpu raises above the WebGPU defaults when the adapter allows it. */
const REQUESTED_LIMITS = [
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeInvocationsPerWorkgroup',
  'maxStorageBuffersPerShaderStage',
] as const

interface ResolvedOptions {
  allowSoftware: boolean
  dawnOptions: string[]
  timeoutMs: number
  env: NodeJS.ProcessEnv
}

function resolveOptions(options: WebGpuOptions = {}): ResolvedOptions {
  const backend = options.backend ?? nonEmpty(process.env.MNIST_WEBGPU_BACKEND)
  const adapter = options.adapter ?? nonEmpty(process.env.MNIST_WEBGPU_ADAPTER)
  const dawnOptions: string[] = []
  if (backend !== undefined) dawnOptions.push(`backend=${backend}`)
  if (adapter !== undefined) dawnOptions.push(`adapter=${adapter}`)
  const env = { ...process.env }
  // The probe child needs none of the parent's loaders, inspectors or preloads.
  delete env.NODE_OPTIONS
  if (backend !== undefined && /^opengl/i.test(backend) && !env.EGL_PLATFORM && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    env.EGL_PLATFORM = 'surfaceless'
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new BackendsConfigError('BACKENDS_BAD_OPTION', 'timeoutMs', 'a positive number of milliseconds', timeoutMs)
  }
  return { allowSoftware: options.allowSoftware === true, dawnOptions, timeoutMs, env }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim()
}

/** Absolute path of the `webgpu` package entry, or an explanation of why it cannot be found. */
function resolveDawn(): { path: string } | { error: string } {
  try {
    // The CJS build gets import.meta.url from tsup's shim.
    return { path: createRequire(import.meta.url).resolve('webgpu') }
  } catch (error) {
    return { error: `the npm package "webgpu" (Dawn for Node) is not installed: ${message(error)}` }
  }
}

/**
 * Runs inside the child. argv: Dawn entry URL, Dawn options (JSON), time box in ms, limit names (JSON).
 * Prints one JSON line on stdout and exits; nothing else is written to stdout.
 */
const CHILD_SCRIPT = String.raw`
const [url, optionsJson, timeoutText, limitsJson] = process.argv.slice(1);
const say = (result) => { process.stdout.write('\n@@webgpu-probe ' + JSON.stringify(result) + '\n', () => process.exit(0)); };
setTimeout(() => say({ available: false, reason: 'no answer from Dawn within ' + timeoutText + ' ms' }), Number(timeoutText));
(async () => {
  let gpu;
  try {
    const { create } = await import(url);
    gpu = create(JSON.parse(optionsJson));
  } catch (error) {
    return say({ available: false, reason: 'Dawn failed to start: ' + String(error && error.message || error).split('\n').join(' ') });
  }
  let adapter = null;
  let featureLevel = 'core';
  let failure = '';
  for (const level of ['core', 'compatibility']) {
    featureLevel = level;
    try { adapter = await gpu.requestAdapter({ featureLevel: level, powerPreference: 'high-performance' }); }
    catch (error) { failure = String(error && error.message || error).split('\n').join(' ').trim(); }
    if (adapter) break;
  }
  if (!adapter) return say({ available: false, reason: failure ? 'Dawn: ' + failure : 'Dawn found no WebGPU adapter' });
  const i = adapter.info || {};
  const info = { vendor: i.vendor || '', architecture: i.architecture || '', device: i.device || '', description: i.description || '', isFallbackAdapter: i.isFallbackAdapter === true, featureLevel };
  try {
    const requiredLimits = {};
    for (const name of JSON.parse(limitsJson)) if (typeof adapter.limits[name] === 'number') requiredLimits[name] = adapter.limits[name];
    const device = await adapter.requestDevice({ requiredLimits });
    device.destroy();
  } catch (error) {
    return say({ available: false, reason: 'the adapter refused to open a device: ' + String(error && error.message || error), info });
  }
  say({ available: true, info });
})();
`

interface ChildInfo {
  vendor: string
  architecture: string
  device: string
  description: string
  isFallbackAdapter: boolean
  featureLevel: 'core' | 'compatibility'
}
interface ChildResult {
  available: boolean
  reason?: string
  info?: ChildInfo
}

function toAdapterInfo(info: ChildInfo): WebGpuAdapterInfo {
  const adapter: WebGpuAdapterInfo = {
    description: info.description || info.device || 'unnamed adapter',
    isFallbackAdapter: info.isFallbackAdapter,
    software: isSoftwareAdapter(info),
    featureLevel: info.featureLevel,
  }
  if (info.vendor) adapter.vendor = info.vendor
  if (info.architecture) adapter.architecture = info.architecture
  if (info.device) adapter.device = info.device
  return adapter
}

function describeAdapter(adapter: WebGpuAdapterInfo): string {
  const parts = [adapter.description, adapter.device, adapter.vendor].filter((p, i, all) => p && all.indexOf(p) === i)
  return `"${parts.join(', ')}"${adapter.featureLevel === 'compatibility' ? ' (compatibility level)' : ''}`
}

/** Dawn's own diagnostics (native stderr), condensed to one line for a `reason`. */
function dawnDiagnostics(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('at '))
    .map((l) => l.replace(/^(Warning|Error):\s*/, ''))
  const unique = [...new Set(lines)].slice(0, 3)
  return unique.length > 0 ? ` (Dawn: ${unique.join('; ')})` : ''
}

/** The last adapter a probe found, so that registering right after probing does not start Dawn twice. */
let lastFound: { key: string; adapter: WebGpuAdapterInfo } | undefined

function probeKey(resolved: ResolvedOptions): string {
  return JSON.stringify([resolved.dawnOptions, resolved.env.EGL_PLATFORM ?? null])
}

/**
 * Whether a WebGPU adapter usable by tfjs exists here. Never throws, never prints, never outlives its time box,
 * and leaves nothing running: the work happens in a short-lived child process.
 */
export async function probeWebGpu(options?: WebGpuOptions): Promise<WebGpuProbe> {
  try {
    resolveOptions(options)
  } catch (error) {
    return { available: false, reason: message(error) }
  }
  const dawn = resolveDawn()
  if ('error' in dawn) return { available: false, reason: dawn.error }
  return probeWebGpuWithDawn(dawn.path, options)
}

/**
 * `probeWebGpu` with the Dawn module given by path: the probe child imports it and calls its `create()`. Tests pass
 * stand-ins (an adapter request that never settles, a `create()` that never returns) to check the time boxes
 * deterministically, whatever the real Dawn on the machine does and however fast it fails.
 */
export async function probeWebGpuWithDawn(dawnEntry: string, options?: WebGpuOptions): Promise<WebGpuProbe> {
  let resolved: ResolvedOptions
  try {
    resolved = resolveOptions(options)
  } catch (error) {
    return { available: false, reason: message(error) }
  }
  const args = [
    '--input-type=module',
    '--eval',
    CHILD_SCRIPT,
    pathToFileURL(dawnEntry).href,
    JSON.stringify(resolved.dawnOptions),
    String(resolved.timeoutMs),
    JSON.stringify(REQUESTED_LIMITS),
  ]
  const outcome = await new Promise<{ stdout: string; stderr: string; failure?: string }>((resolve) => {
    execFile(
      process.execPath,
      args,
      // The child's own timer answers first; this kill is for a child stuck in native code.
      {
        env: resolved.env,
        timeout: resolved.timeoutMs + 5_000,
        killSignal: 'SIGKILL',
        maxBuffer: 1 << 20,
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        const failure =
          error === null
            ? undefined
            : error.killed
              ? `Dawn did not answer within ${resolved.timeoutMs} ms and was stopped`
              : `the probe process failed (${error.signal ?? `exit code ${String(error.code)}`})`
        resolve({ stdout, stderr, ...(failure === undefined ? {} : { failure }) })
      },
    )
  })

  const line = outcome.stdout.split('\n').find((l) => l.startsWith('@@webgpu-probe '))
  if (line === undefined) {
    const failure = outcome.failure ?? 'the probe gave no answer'
    return { available: false, reason: `${failure}${dawnDiagnostics(outcome.stderr)}` }
  }
  let result: ChildResult
  try {
    result = JSON.parse(line.slice('@@webgpu-probe '.length)) as ChildResult
  } catch (error) {
    return { available: false, reason: `the probe answered something unreadable: ${message(error)}` }
  }
  const adapter = result.info === undefined ? undefined : toAdapterInfo(result.info)
  if (!result.available) {
    return {
      available: false,
      reason: `${result.reason ?? 'no WebGPU adapter'}${dawnDiagnostics(outcome.stderr)}`,
      ...(adapter === undefined ? {} : { adapter }),
    }
  }
  if (adapter === undefined) return { available: false, reason: 'the probe found an adapter but did not describe it' }
  lastFound = { key: probeKey(resolved), adapter }
  if (adapter.software && !resolved.allowSoftware) {
    return {
      available: false,
      reason: `the only WebGPU adapter is a software (CPU) one: ${describeAdapter(adapter)}`,
      adapter,
    }
  }
  return { available: true, adapter }
}

/* ---------- in-process registration ---------- */

/** The parts of Dawn's WebGPU objects this file touches (the global WebGPU types are not part of lib.dom here). */
interface GpuDeviceLike {
  destroy(): void
  readonly lost: Promise<unknown>
}
interface GpuAdapterLike {
  readonly info?: Record<string, unknown>
  readonly limits: Record<string, unknown>
  requestDevice(descriptor?: { requiredLimits?: Record<string, number> }): Promise<GpuDeviceLike>
}
interface GpuLike {
  requestAdapter(options?: { featureLevel?: string; powerPreference?: string }): Promise<GpuAdapterLike | null>
}
interface DawnModule {
  create(options: string[]): GpuLike
  globals: Record<string, unknown>
}
type WebGpuBackendModule = { WebGPUBackend: new (device: GpuDeviceLike, adapterInfo?: unknown) => tf.KernelBackend }

let registered: { adapter: WebGpuAdapterInfo } | undefined

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    const reason = `${what} did not answer within ${ms} ms`
    timer = setTimeout(() => reject(new BackendUnavailableError('webgpu', reason, FIX)), ms)
    timer.unref()
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Registers the tfjs backend `webgpu` (tfjs-backend-webgpu over Dawn's `navigator.gpu`) in this process; call
 * `tf.setBackend('webgpu')` afterwards. Probes first (in a child process; a successful `probeWebGpu` with the same
 * Dawn options is reused), so an unavailable or software adapter
 * (unless `allowSoftware`) gives a `BackendUnavailableError` with the reason instead of a crash or a hang.
 * Calling it again after a success is a no-op. Registered with priority 0: it never becomes tfjs' default by itself.
 */
export async function registerWebGpuBackend(options?: WebGpuOptions): Promise<void> {
  if (registered !== undefined && tf.findBackendFactory('webgpu') !== null) {
    if (registered.adapter.software && options?.allowSoftware !== true) {
      const reason = `the registered adapter is a software (CPU) one: ${describeAdapter(registered.adapter)}`
      throw new BackendUnavailableError('webgpu', reason, FIX)
    }
    return
  }
  const resolved = resolveOptions(options)
  let expected: WebGpuAdapterInfo
  const found = lastFound
  if (found !== undefined && found.key === probeKey(resolved) && (resolved.allowSoftware || !found.adapter.software)) {
    expected = found.adapter
  } else {
    const probe = await probeWebGpu(options)
    if (!probe.available || probe.adapter === undefined) {
      throw new BackendUnavailableError('webgpu', probe.reason ?? 'no WebGPU adapter', FIX)
    }
    expected = probe.adapter
  }

  if (resolved.env.EGL_PLATFORM !== undefined && process.env.EGL_PLATFORM === undefined) {
    // Mesa's EGL reads this when Dawn opens the display; without a display server only "surfaceless" works.
    process.env.EGL_PLATFORM = resolved.env.EGL_PLATFORM
  }
  let dawn: DawnModule
  let backendModule: WebGpuBackendModule
  try {
    dawn = (await import('webgpu')) as unknown as DawnModule
    // Imported before navigator.gpu exists, so the package's own registration (priority 3, which would make
    // WebGPU tfjs' default backend) does not run; an earlier import that did register is replaced below.
    backendModule = (await import('@tensorflow/tfjs-backend-webgpu')) as unknown as WebGpuBackendModule
  } catch (error) {
    const reason = `could not load Dawn or tfjs-backend-webgpu: ${message(error)}`
    const notFound = (error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND'
    throw new BackendUnavailableError('webgpu', reason, notFound ? WEBGPU_INSTALL : FIX, { cause: error })
  }

  let adapter: GpuAdapterLike | null
  let device: GpuDeviceLike
  const gpu = dawn.create(resolved.dawnOptions)
  try {
    adapter = await withTimeout(
      gpu.requestAdapter({ featureLevel: expected.featureLevel, powerPreference: 'high-performance' }),
      resolved.timeoutMs,
      'navigator.gpu.requestAdapter()',
    )
    if (adapter === null) {
      const reason = 'Dawn found no WebGPU adapter in this process although the probe did'
      throw new BackendUnavailableError('webgpu', reason, FIX)
    }
    const requiredLimits: Record<string, number> = {}
    for (const name of REQUESTED_LIMITS) {
      const value = adapter.limits[name]
      if (typeof value === 'number') requiredLimits[name] = value
    }
    const request = adapter.requestDevice({ requiredLimits })
    device = await withTimeout(request, resolved.timeoutMs, 'GPUAdapter.requestDevice()')
  } catch (error) {
    if (error instanceof BackendUnavailableError) throw error
    throw new BackendUnavailableError('webgpu', message(error), FIX, { cause: error })
  }
  const info = adapter.info ?? {}
  const actual = toAdapterInfo({
    vendor: String(info.vendor ?? ''),
    architecture: String(info.architecture ?? ''),
    device: String(info.device ?? ''),
    description: String(info.description ?? ''),
    isFallbackAdapter: info.isFallbackAdapter === true,
    featureLevel: expected.featureLevel,
  })
  if (actual.software && !resolved.allowSoftware) {
    device.destroy()
    const reason = `the WebGPU adapter is a software (CPU) one: ${describeAdapter(actual)}`
    throw new BackendUnavailableError('webgpu', reason, FIX)
  }

  // tfjs-backend-webgpu reads GPUBufferUsage, GPUMapMode, ... as globals and checks navigator.gpu.
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true })
  }
  const nav = (globalThis as { navigator?: object }).navigator
  if (nav === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true })
  } else {
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true })
  }

  if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu')
  const adapterInfo = adapter.info
  tf.registerBackend('webgpu', () => new backendModule.WebGPUBackend(device, adapterInfo), 0)
  registered = { adapter: actual }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
