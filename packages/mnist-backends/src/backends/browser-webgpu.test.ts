import * as tf from '@tensorflow/tfjs-core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { browserWebGpuBackend } from './browser-webgpu'

// The browser WebGPU probe against stand-ins for a page's navigator.gpu and for tfjs-backend-webgpu's registration
// (the real thing runs in the Chromium tests of the apps that use it).

const AUTO = { options: {}, forAuto: true }
const BY_NAME = { options: {}, forAuto: false }

function stubGpu(adapter: unknown): void {
  vi.stubGlobal('navigator', { gpu: { requestAdapter: async () => adapter } })
}

function registerStandIn(): void {
  tf.registerBackend('webgpu', () => {
    throw new Error('stand-in: never initialised by these tests')
  })
}

afterEach(() => {
  vi.unstubAllGlobals()
  if (tf.findBackendFactory('webgpu') != null) tf.removeBackend('webgpu')
})

describe('the browser WebGPU probe', () => {
  it('says when the runtime has no navigator.gpu', async () => {
    vi.stubGlobal('navigator', {})
    const probe = await browserWebGpuBackend.probe(AUTO)
    expect(probe).toMatchObject({ ok: false, reason: expect.stringMatching(/navigator\.gpu is missing/) })
  })

  it('names the import the app must add when tfjs-backend-webgpu is not loaded', async () => {
    stubGpu({ info: { vendor: 'nvidia', description: 'NVIDIA H100' } })
    const probe = await browserWebGpuBackend.probe(AUTO)
    expect(probe).toMatchObject({ ok: false, reason: expect.stringMatching(/tfjs-backend-webgpu is not loaded/) })
    expect(probe.ok === false && probe.fix).toMatch(/import '@tensorflow\/tfjs-backend-webgpu'/)
  })

  it('reports a null adapter', async () => {
    registerStandIn()
    stubGpu(null)
    const probe = await browserWebGpuBackend.probe(AUTO)
    expect(probe).toMatchObject({ ok: false, reason: expect.stringMatching(/no WebGPU adapter/) })
  })

  it('takes a hardware adapter and describes it', async () => {
    registerStandIn()
    stubGpu({ info: { vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100' } })
    const probe = await browserWebGpuBackend.probe(AUTO)
    expect(probe.ok).toBe(true)
    if (probe.ok) {
      expect(probe.tfBackend).toBe('webgpu')
      expect(await probe.device()).toBe('WebGPU: NVIDIA H100')
    }
  })

  it('skips a software adapter for auto and accepts it by name', async () => {
    registerStandIn()
    stubGpu({ info: { vendor: 'google', description: 'SwiftShader Device (Subzero)' } })
    expect(await browserWebGpuBackend.probe(AUTO)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/software \(CPU\): SwiftShader/),
    })
    const byName = await browserWebGpuBackend.probe(BY_NAME)
    expect(byName.ok).toBe(true)
    if (byName.ok) expect(await byName.device()).toMatch(/\(software adapter\)$/)
    expect((await browserWebGpuBackend.probe({ options: { allowSoftwareWebGpu: false }, forAuto: false })).ok).toBe(
      false,
    )
  })

  it('treats a fallback adapter as software', async () => {
    registerStandIn()
    stubGpu({ isFallbackAdapter: true, info: { vendor: 'acme', description: 'Acme GPU' } })
    expect((await browserWebGpuBackend.probe(AUTO)).ok).toBe(false)
  })

  it('reports a failing requestAdapter in one line', async () => {
    registerStandIn()
    vi.stubGlobal('navigator', {
      gpu: {
        requestAdapter: async () => {
          throw new Error('GPU process crashed\nstack...')
        },
      },
    })
    const probe = await browserWebGpuBackend.probe(AUTO)
    expect(probe).toMatchObject({ ok: false, reason: 'navigator.gpu.requestAdapter() failed: GPU process crashed' })
  })
})
