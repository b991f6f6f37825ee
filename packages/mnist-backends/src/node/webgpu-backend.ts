import { createRequire } from 'node:module'
import { firstLine } from '../_first-line'
import { WEBGPU, WEBGPU_INSTALL, WEBGPU_PACKAGES } from '../backends/native'
import { BackendUnavailableError } from '../errors'
import type { BackendDescriptor, Probe } from '../types'

/**
 * tfjs-backend-webgpu over Dawn (npm package `webgpu`). `auto` never accepts a software adapter; a request by name
 * does unless `allowSoftwareWebGpu` is false. Dawn is loaded only when this backend is probed.
 */
export const webGpuBackend: BackendDescriptor = {
  ...WEBGPU,
  probe: async ({ options, forAuto }) => probeWebGpuBackend(forAuto ? false : (options.allowSoftwareWebGpu ?? true)),
}

/** The WebGPU packages that cannot be resolved from here (optional peer dependencies: not in a plain install). */
export function missingWebGpuPackages(
  resolve: (id: string) => string = createRequire(import.meta.url).resolve,
): string[] {
  return WEBGPU_PACKAGES.filter((pkg) => {
    try {
      resolve(pkg)
      return false
    } catch {
      return true
    }
  })
}

async function probeWebGpuBackend(allowSoftware: boolean): Promise<Probe> {
  const missing = missingWebGpuPackages()
  if (missing.length > 0) {
    return {
      ok: false,
      reason: `${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not installed`,
      fix: WEBGPU_INSTALL,
    }
  }
  try {
    const webgpu = await import('./webgpu')
    const probe = await webgpu.probeWebGpu({ allowSoftware })
    if (!probe.available) {
      return { ok: false, reason: probe.reason ?? 'no usable WebGPU adapter', fix: WEBGPU.fix }
    }
    await webgpu.registerWebGpuBackend({ allowSoftware })
    const adapter = probe.adapter
    const kind = adapter === undefined ? '' : adapter.software || adapter.isFallbackAdapter ? ' (software adapter)' : ''
    const device = `WebGPU: ${adapter?.description ?? 'unknown adapter'}${kind}`
    return { ok: true, tfBackend: 'webgpu', device: async () => device }
  } catch (error) {
    const reason =
      error instanceof BackendUnavailableError ? error.reason : `WebGPU could not start: ${firstLine(error)}`
    return { ok: false, reason, fix: WEBGPU.fix, cause: error }
  }
}
