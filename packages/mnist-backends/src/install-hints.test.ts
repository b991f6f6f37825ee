import { describe, expect, it } from 'vitest'
import { cpuBackend } from './backends/cpu'
import { NODE, NODE_GPU, NODE_GPU_INSTALL, NODE_INSTALL, WEBGPU, WEBGPU_INSTALL, nodeOnly } from './backends/native'
import { simdBackend } from './backends/simd'
import { WASM_FIX } from './backends/wasm'
import { nodeBackend, nodeGpuBackend } from './node/tfjs-node'
import { missingWebGpuPackages, webGpuBackend } from './node/webgpu-backend'

/** A library speaks of options and npm packages: no CLI flags, no repository scripts or package-manager rebuilds. */
const REPO_TALK = /(^|\s)--[a-z]|\.ci\/|\.sh\b|pnpm|rebuild|scripts\//

describe('fix texts', () => {
  it('name the npm packages to install for an optional backend, as one npm i line', () => {
    expect(WEBGPU_INSTALL).toMatch(/npm i webgpu @tensorflow\/tfjs-backend-webgpu\b/)
    expect(NODE_INSTALL).toMatch(/npm i @tensorflow\/tfjs-node\b/)
    expect(NODE_GPU_INSTALL).toMatch(/npm i @tensorflow\/tfjs-node-gpu\b/)
    for (const fix of [WEBGPU_INSTALL, NODE_INSTALL, NODE_GPU_INSTALL]) {
      expect(fix).toMatch(/optional peer dependenc(y|ies) of @mnist\/backends/)
      expect(fix).toMatch(/select another backend \(auto/)
    }
  })

  it('never mention CLI flags or repository scripts', async () => {
    const browserStandIn = await nodeOnly(NODE).probe({} as never)
    const fixes = [
      NODE.fix,
      NODE_GPU.fix,
      WEBGPU.fix,
      WEBGPU_INSTALL,
      NODE_INSTALL,
      NODE_GPU_INSTALL,
      WASM_FIX,
      cpuBackend.fix,
      simdBackend.fix,
      nodeBackend.fix,
      nodeGpuBackend.fix,
      webGpuBackend.fix,
      browserStandIn.ok ? '' : browserStandIn.fix,
    ]
    for (const fix of fixes) expect(fix).not.toMatch(REPO_TALK)
  })
})

describe('missingWebGpuPackages', () => {
  it('lists the WebGPU packages that do not resolve (a plain install has neither)', () => {
    const none = (): string => {
      throw Object.assign(new Error('not found'), { code: 'MODULE_NOT_FOUND' })
    }
    expect(missingWebGpuPackages(none)).toEqual(['webgpu', '@tensorflow/tfjs-backend-webgpu'])
    const onlyDawn = (id: string): string => (id === 'webgpu' ? '/x/webgpu/index.js' : none())
    expect(missingWebGpuPackages(onlyDawn)).toEqual(['@tensorflow/tfjs-backend-webgpu'])
  })

  it('finds both in this repository, where they are development dependencies', () => {
    expect(missingWebGpuPackages()).toEqual([])
  })
})
