import * as tf from '@tensorflow/tfjs-core'
import { BACKEND_PRIORITY, MAX_THREADS } from '@mnist/backend-simd'
import { describe, expect, it } from 'vitest'
import { BackendsConfigError, BackendUnavailableError } from './errors'
import { BACKEND_ORDER, listBackends, selectBackend } from './node/select'
import { createBackendSelector } from './select'
import { checkThreads } from './threads'
import type { BackendDescriptor } from './types'

// What this machine has decides what `auto` may pick: the expectations below follow `listBackends`, so they hold
// both where tfjs-node's native addon or a GPU is installed and where it is not.
const statuses = await listBackends()
const available = (name: string): boolean => statuses.find((s) => s.backend === name)?.available === true
const firstAvailable = statuses.find((s) => s.available)!.backend

describe('BACKEND_ORDER', () => {
  it("is computed from the descriptors' priorities, fastest first", () => {
    expect(BACKEND_ORDER).toEqual(['node-gpu', 'node', 'webgpu', 'simd', 'wasm', 'cpu'])
    // simd's tfjs registration priority ranks it below stock wasm for tfjs's default; auto must not follow that.
    expect(BACKEND_PRIORITY).toBeLessThan(2)
  })

  it('follows the priorities it is given, not the order of the list', async () => {
    const stub = (name: BackendDescriptor['name'], priority: number): BackendDescriptor => ({
      name,
      priority,
      fix: `fix ${name}`,
      probe: async () => ({ ok: false, reason: `no ${name}`, fix: `fix ${name}` }),
    })
    const selector = createBackendSelector([stub('cpu', 1), stub('wasm', 3), stub('simd', 2)])
    expect(selector.order).toEqual(['wasm', 'simd', 'cpu'])
    const error = await selector.select('auto').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BackendUnavailableError)
    expect((error as BackendUnavailableError).reason).toBe('wasm: no wasm; simd: no simd; cpu: no cpu')
  })
})

describe('selectBackend', () => {
  it('auto takes the first available backend, skipping the ones before it with one-line reasons', async () => {
    const s = await selectBackend('auto')
    expect(s.backend).toBe(firstAvailable)
    expect(tf.getBackend()).toBe(s.tfBackend)
    expect(s.skipped.map((k) => k.backend)).toEqual(BACKEND_ORDER.slice(0, BACKEND_ORDER.indexOf(s.backend)))
    for (const k of s.skipped) {
      expect(k.reason).not.toContain('\n')
      expect(k.reason).toBe(statuses.find((x) => x.backend === k.backend)!.reason)
    }
    expect(s.device.length).toBeGreaterThan(0)
  })

  it('names the tfjs-node package in the reason when it is skipped', () => {
    const node = statuses.find((s) => s.backend === 'node')!
    if (!node.available) {
      expect(node.reason).toMatch(/@tensorflow\/tfjs-node (is not installed|is installed but its native addon|failed)/)
    } else {
      expect(node.device).toMatch(/tfjs-node/)
    }
  })

  it('throws BackendUnavailableError with the reason and the fix for an explicit unavailable backend', async () => {
    const unavailable = statuses.find((s) => !s.available)
    if (unavailable === undefined) return expect(statuses.every((s) => s.available)).toBe(true)
    const error = await selectBackend(unavailable.backend).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BackendUnavailableError)
    const e = error as BackendUnavailableError
    expect(e.code).toBe('BACKENDS_UNAVAILABLE')
    expect(e).not.toHaveProperty('exitCode')
    expect(e.backend).toBe(unavailable.backend)
    expect(e.reason).toBe(unavailable.reason)
    const prefix = `[@mnist/backends] backend "${unavailable.backend}" is not available: ${unavailable.reason}. Fix: `
    expect(e.message.startsWith(prefix)).toBe(true)
    // A library speaks of options, not of CLI flags or repository scripts.
    expect(e.message).not.toMatch(/--|\.ci\/|pnpm /)
  })

  it('selects cpu and wasm by name, with gradients and the backward-filter kernel registered', async () => {
    for (const name of ['cpu', 'wasm'] as const) {
      const s = await selectBackend(name)
      expect(s).toMatchObject({ backend: name, tfBackend: name, skipped: [] })
      expect(tf.getBackend()).toBe(name)
      expect(tf.getGradient('Conv2D')).toBeDefined()
      expect(tf.getKernel('Conv2DBackpropFilter', name)).toBeDefined()
    }
  })

  it('selects simd by name through its typed API: build and threads in the device', async () => {
    const s = await selectBackend('simd', { threads: 2 })
    expect(s.device).toMatch(/^WebAssembly \(@mnist\/backend-simd, (relaxed-simd|simd|scalar) build, 2 threads\)$/)
  })

  it('rejects unknown names with BACKENDS_UNKNOWN_BACKEND', async () => {
    await expect(selectBackend('tpu' as never)).rejects.toMatchObject({ code: 'BACKENDS_UNKNOWN_BACKEND' })
  })

  it.each([0, MAX_THREADS + 1, 1.5])('threads %s is an error naming the limit, for auto too', async (n) => {
    for (const requested of ['auto', 'simd', 'cpu'] as const) {
      const error = await selectBackend(requested, { threads: n }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(BackendsConfigError)
      expect(error).toMatchObject({ code: 'BACKENDS_BAD_THREADS', option: 'threads', found: n })
      expect((error as Error).message).toContain(`an integer from 1 to ${MAX_THREADS}`)
    }
  })

  it('accepts 1 to MAX_THREADS', () => {
    expect(() => checkThreads(1)).not.toThrow()
    expect(() => checkThreads(MAX_THREADS)).not.toThrow()
    expect(() => checkThreads(undefined)).not.toThrow()
  })
})

describe('listBackends', () => {
  it('reports every backend, available or why not, and restores the active backend', async () => {
    await selectBackend('cpu')
    const list = await listBackends()
    expect(list.map((b) => b.backend)).toEqual([...BACKEND_ORDER])
    for (const b of list) {
      if (b.available) expect(b.device).toBeTruthy()
      else expect(b.reason && b.fix).toBeTruthy()
    }
    expect(available('cpu')).toBe(true)
    expect(available('wasm')).toBe(true)
    expect(available('simd')).toBe(true)
    expect(list.find((b) => b.backend === 'simd')!.features).toMatchObject({ simd: expect.any(Boolean) })
    expect(tf.getBackend()).toBe('cpu')
  })

  it('rejects out-of-range threads too', async () => {
    await expect(listBackends({ threads: MAX_THREADS + 1 })).rejects.toMatchObject({ code: 'BACKENDS_BAD_THREADS' })
  })
})
