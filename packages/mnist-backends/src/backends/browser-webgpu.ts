import * as tf from '@tensorflow/tfjs-core'
import { firstLine } from '../_first-line'
import { describeAdapterFacts, isSoftwareAdapter, type AdapterFacts } from '../software-adapter'
import type { BackendDescriptor, Probe, ProbeContext } from '../types'
import { WEBGPU } from './native'

// WebGPU in a browser: the page's own `navigator.gpu` and tfjs-backend-webgpu, which the app imports itself (it is an
// optional peer dependency: importing it from here would make every bundle carry it, or fail to build without it).

const OTHER = 'or select another backend (auto picks the fastest that works)'
const IMPORT_FIX =
  "import '@tensorflow/tfjs-backend-webgpu' once in the app (npm i @tensorflow/tfjs-backend-webgpu: an optional peer " +
  `dependency of @mnist/backends), ${OTHER}`
const BROWSER_FIX = `use a browser with WebGPU enabled, in a secure context (https or localhost), ${OTHER}`
const ADAPTER_TIMEOUT_MS = 10_000

interface GpuAdapterLike {
  readonly info?: AdapterFacts
  readonly isFallbackAdapter?: boolean
}
interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>
}

function pageGpu(): GpuLike | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator
  return nav?.gpu
}

/** The adapter the page would get, or why there is none (a request that never settles counts as none). */
async function requestAdapter(gpu: GpuLike): Promise<GpuAdapterLike | string> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(
      () => resolve(`no answer to requestAdapter() within ${ADAPTER_TIMEOUT_MS} ms`),
      ADAPTER_TIMEOUT_MS,
    )
  })
  try {
    const adapter = await Promise.race([gpu.requestAdapter(), timeout])
    return adapter ?? 'the browser offers no WebGPU adapter (navigator.gpu.requestAdapter() gave null)'
  } catch (error) {
    return `navigator.gpu.requestAdapter() failed: ${firstLine(error)}`
  } finally {
    clearTimeout(timer)
  }
}

async function probeBrowserWebGpu({ options, forAuto }: ProbeContext): Promise<Probe> {
  const gpu = pageGpu()
  if (gpu === undefined) {
    return { ok: false, reason: 'this runtime has no WebGPU (navigator.gpu is missing)', fix: BROWSER_FIX }
  }
  if (tf.findBackendFactory('webgpu') == null) {
    return { ok: false, reason: '@tensorflow/tfjs-backend-webgpu is not loaded in this page', fix: IMPORT_FIX }
  }
  const adapter = await requestAdapter(gpu)
  if (typeof adapter === 'string') return { ok: false, reason: adapter, fix: BROWSER_FIX }
  const facts: AdapterFacts = {
    ...adapter.info,
    isFallbackAdapter: adapter.isFallbackAdapter ?? adapter.info?.isFallbackAdapter,
  }
  const software = isSoftwareAdapter(facts)
  const name = describeAdapterFacts(facts)
  // As in Node: `auto` never takes a CPU adapter (the WebAssembly backends are faster); a request by name may.
  if (software && !(options.allowSoftwareWebGpu ?? !forAuto)) {
    return { ok: false, reason: `the WebGPU adapter is software (CPU): ${name}`, fix: WEBGPU.fix }
  }
  return {
    ok: true,
    tfBackend: 'webgpu',
    device: async () => `WebGPU: ${name}${software ? ' (software adapter)' : ''}`,
  }
}

/** WebGPU through the page's `navigator.gpu`, when the app has loaded tfjs-backend-webgpu. */
export const browserWebGpuBackend: BackendDescriptor = {
  name: 'webgpu',
  priority: WEBGPU.priority,
  fix: IMPORT_FIX,
  probe: probeBrowserWebGpu,
}
