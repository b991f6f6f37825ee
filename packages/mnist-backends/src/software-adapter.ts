// Which WebGPU adapters are CPU implementations: shared by the Node probe (Dawn) and the browser probe.

const SOFTWARE_ADAPTER =
  /llvmpipe|lavapipe|softpipe|swiftshader|swrast|software rasteri[sz]er|microsoft basic render|\bwarp\b|\bcpu\b/i

/** What an adapter says about itself (Dawn's adapter info, or a browser's `GPUAdapterInfo`). */
export interface AdapterFacts {
  vendor?: string
  architecture?: string
  device?: string
  description?: string
  isFallbackAdapter?: boolean
}

/** Whether an adapter is a CPU implementation, judged from everything it says about itself. */
export function isSoftwareAdapter(info: AdapterFacts): boolean {
  if (info.isFallbackAdapter === true) return true
  const text = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ')
  return SOFTWARE_ADAPTER.test(text)
}

/** One line naming an adapter: its description, else vendor and architecture. */
export function describeAdapterFacts(info: AdapterFacts): string {
  const text = info.description || [info.vendor, info.architecture, info.device].filter(Boolean).join(' ')
  return text || 'unnamed adapter'
}
