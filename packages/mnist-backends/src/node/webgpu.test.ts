import * as tf from '@tensorflow/tfjs-core'
// tfjs-core's Node bundle registers no gradients by itself.
import '@tensorflow/tfjs-core/dist/register_all_gradients'
import '@tensorflow/tfjs-backend-cpu'
import * as tfl from '@tensorflow/tfjs-layers'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { isSoftwareAdapter } from '../software-adapter'
import { probeWebGpu, probeWebGpuWithDawn, registerWebGpuBackend } from './webgpu'

// Stand-ins for the npm package `webgpu`, as the probe child uses it (`create(options).requestAdapter()`).
const HANGING_ADAPTER = 'export const create = () => ({ requestAdapter: () => new Promise(() => {}) })\n'
const BLOCKED_CREATE = 'export const create = () => { for (;;) {} }\n'
const standIns: string[] = []
async function standInDawn(source: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mnist-dawn-'))
  standIns.push(dir)
  await writeFile(join(dir, 'index.mjs'), source)
  return join(dir, 'index.mjs')
}
afterAll(async () => {
  for (const dir of standIns) await rm(dir, { recursive: true, force: true })
})

describe('isSoftwareAdapter', () => {
  it.each([
    // Dawn's OpenGL ES backend over Mesa llvmpipe (what CI uses)
    [{ device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6' }, true],
    // Dawn's Vulkan backend over Mesa lavapipe
    [{ vendor: 'mesa', architecture: '', device: '', description: 'llvmpipe (LLVM 19.1.7, 256 bits)' }, true],
    [{ vendor: 'google', description: 'SwiftShader Device (Subzero)' }, true],
    [{ description: 'Microsoft Basic Render Driver' }, true],
    [{ description: 'anything', isFallbackAdapter: true }, true],
    [{ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' }, false],
    [{ vendor: 'amd', architecture: 'rdna-3', description: 'AMD Radeon RX 7900 XTX (RADV NAVI31)' }, false],
    [{ vendor: 'intel', architecture: 'gen-12lp', description: 'Intel(R) UHD Graphics 770 (ADL-S GT1)' }, false],
  ])('%j -> %s', (info, expected) => {
    expect(isSoftwareAdapter(info)).toBe(expected)
  })
})

describe('probeWebGpu without a usable adapter', () => {
  it("reports a Dawn backend that does not exist as unavailable, with Dawn's reason and nothing printed", async () => {
    const writes: string[] = []
    const out = process.stdout.write.bind(process.stdout)
    const err = process.stderr.write.bind(process.stderr)
    const capture = ((chunk: string | Uint8Array) => (writes.push(String(chunk)), true)) as typeof process.stdout.write
    process.stdout.write = capture
    process.stderr.write = capture
    let probe
    try {
      probe = await probeWebGpu({ backend: 'no-such-backend', allowSoftware: true })
    } finally {
      process.stdout.write = out
      process.stderr.write = err
    }
    expect(probe.available).toBe(false)
    expect(probe.reason).toMatch(/unrecognised backend 'no-such-backend'/)
    expect(writes).toEqual([])
  })

  it('gives up after its time box when the adapter request never settles', async () => {
    const started = Date.now()
    const probe = await probeWebGpuWithDawn(await standInDawn(HANGING_ADAPTER), { timeoutMs: 300, allowSoftware: true })
    expect(probe).toEqual({ available: false, reason: 'no answer from Dawn within 300 ms' })
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('stops a probe stuck in native code (event loop blocked) shortly after its time box', async () => {
    const started = Date.now()
    const probe = await probeWebGpuWithDawn(await standInDawn(BLOCKED_CREATE), { timeoutMs: 300, allowSoftware: true })
    expect(probe).toEqual({ available: false, reason: 'Dawn did not answer within 300 ms and was stopped' })
    expect(Date.now() - started).toBeLessThan(15_000)
  })

  it("with the real Dawn and a 1 ms box, answers at once (time box, Dawn's own error, or its adapter)", async () => {
    const started = Date.now()
    const probe = await probeWebGpu({ timeoutMs: 1, allowSoftware: true })
    expect(Date.now() - started).toBeLessThan(10_000)
    // Which one wins depends on the machine: with CI's software Vulkan, Dawn may find its adapter within 1 ms.
    if (!probe.available) expect(probe.reason).toMatch(/within 1 ms|Dawn/)
  })

  it('rejects a nonsensical time box with a reason rather than throwing', async () => {
    const probe = await probeWebGpu({ timeoutMs: -5 })
    expect(probe).toEqual({
      available: false,
      reason: expect.stringMatching(/option "timeoutMs": expected a positive number of milliseconds, found -5/),
    })
  })

  it('registerWebGpuBackend throws BackendUnavailableError naming the reason', async () => {
    await expect(registerWebGpuBackend({ backend: 'no-such-backend', allowSoftware: true })).rejects.toMatchObject({
      name: 'BackendUnavailableError',
      code: 'BACKENDS_UNAVAILABLE',
      backend: 'webgpu',
      message: expect.stringMatching(/^\[@mnist\/backends\] backend "webgpu" is not available: .*unrecognised backend/),
    })
    expect(tf.findBackendFactory('webgpu')).toBeNull()
  })
})

/*
 * The software adapter CI sets up (.ci/setup-webgpu.sh, .ci/webgpu.env). In CI (`CI` set) it must be there: these
 * tests then fail instead of skipping. Elsewhere they are skipped with the probe's reason printed. On a machine with
 * a real GPU, set MNIST_WEBGPU_EXPECT=gpu to run the same comparison on it.
 */
const expectGpu = process.env.MNIST_WEBGPU_EXPECT === 'gpu'
const softwareProbe = await probeWebGpu({ allowSoftware: true })
const required = Boolean(process.env.CI) || expectGpu
if (!softwareProbe.available && !required) {
  console.warn(`[webgpu.test] skipping the WebGPU-vs-cpu tests: ${softwareProbe.reason ?? 'no adapter'}`)
}

describe.skipIf(!softwareProbe.available && !required)('WebGPU adapter', () => {
  afterAll(async () => {
    await tf.setBackend('cpu')
  })

  it(`is available and classified as ${expectGpu ? 'a real GPU' : 'software'}`, async () => {
    expect(softwareProbe.reason).toBeUndefined()
    expect(softwareProbe.available).toBe(true)
    expect(softwareProbe.adapter?.software).toBe(!expectGpu)
    if (!expectGpu) {
      // `auto` does not pass allowSoftware, and must not get this adapter.
      const strict = await probeWebGpu()
      expect(strict.available).toBe(false)
      expect(strict.reason).toMatch(/software \(CPU\)/)
      expect(strict.adapter?.software).toBe(true)
      await expect(registerWebGpuBackend()).rejects.toThrow(/software \(CPU\)/)
    }
  })

  it('trains a conv/batchNorm/relu/maxPool/dense CNN step like cpu (loss, weights within 1e-4), leak-free', async () => {
    await registerWebGpuBackend({ allowSoftware: true })
    await tf.setBackend('cpu')
    const batch = makeBatch(16, 1234)
    const initial = await initialWeights(99)

    const cpu = await trainSteps('cpu', initial, batch, false)
    const gpu = await trainSteps('webgpu', initial, batch, true)

    expect(gpu.backend).toBe('webgpu')
    expect(Number.isFinite(cpu.loss)).toBe(true)
    expect(Math.abs(gpu.loss - cpu.loss)).toBeLessThanOrEqual(1e-4)
    expect(gpu.weights.map((w) => w.name)).toEqual(cpu.weights.map((w) => w.name))
    let moved = 0
    for (const [i, w] of cpu.weights.entries()) {
      const other = gpu.weights[i]!
      expect(other.values.length).toBe(w.values.length)
      expect(maxAbsDiff(w.values, other.values), w.name).toBeLessThanOrEqual(1e-4)
      if (maxAbsDiff(w.values, initial[i]!.values) > 1e-5) moved++
    }
    // The step really updated the model (kernels, biases, batchNorm parameters and moving statistics).
    expect(moved).toBe(cpu.weights.length)
    expect(gpu.leakedPerStep).toBe(0)
    expect(gpu.leftAfterDispose).toBe(0)
    expect(cpu.leftAfterDispose).toBe(0)
  }, 120_000)
})

interface StepResult {
  backend: string
  loss: number
  weights: NamedWeights[]
  leakedPerStep: number
  leftAfterDispose: number
}

interface NamedWeights {
  name: string
  shape: number[]
  values: Float32Array
}

function buildModel(seed: number): tfl.Sequential {
  const model = tfl.sequential()
  model.add(
    tfl.layers.conv2d({
      inputShape: [28, 28, 1],
      filters: 8,
      kernelSize: 3,
      padding: 'same',
      useBias: false,
      kernelInitializer: tfl.initializers.heNormal({ seed }),
      name: 'conv1',
    }),
  )
  model.add(tfl.layers.batchNormalization({ momentum: 0.9, name: 'bn1' }))
  model.add(tfl.layers.reLU())
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }))
  model.add(
    tfl.layers.conv2d({
      name: 'conv2',
      filters: 16,
      kernelSize: 3,
      padding: 'same',
      // A bias right before batchNorm has a gradient of exactly zero in exact arithmetic: only rounding noise,
      // which Adam would blow up to +-lr. The real model has none there either.
      useBias: false,
      kernelInitializer: tfl.initializers.heNormal({ seed: seed + 1 }),
    }),
  )
  model.add(tfl.layers.batchNormalization({ momentum: 0.9, name: 'bn2' }))
  model.add(tfl.layers.reLU())
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }))
  model.add(tfl.layers.flatten())
  model.add(
    tfl.layers.dense({
      name: 'dense',
      units: 10,
      activation: 'softmax',
      kernelInitializer: tfl.initializers.glorotNormal({ seed: seed + 2 }),
    }),
  )
  return model
}

async function initialWeights(seed: number): Promise<NamedWeights[]> {
  const model = buildModel(seed)
  const weights = await readWeights(model)
  model.dispose()
  // Non-trivial batchNorm parameters, so that gamma/beta/moving statistics all take part.
  return weights.map((w, i) => {
    if (!/gamma|beta|moving/.test(w.name)) return w
    const centre = /gamma|variance/.test(w.name) ? 1 : 0
    return { ...w, values: Float32Array.from(w.values, (_, j) => centre + 0.1 * Math.sin(i + j)) }
  })
}

async function readWeights(model: tfl.LayersModel): Promise<NamedWeights[]> {
  const out: NamedWeights[] = []
  for (const w of model.weights) {
    const value = w.read()
    out.push({ name: w.originalName, shape: value.shape, values: new Float32Array(await value.data()) })
  }
  return out
}

/** Same numbers on every backend: a tiny deterministic generator, no tf.random. */
function makeBatch(size: number, seed: number): { x: Float32Array; y: Float32Array } {
  let state = seed >>> 0
  const next = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
  const x = Float32Array.from({ length: size * 28 * 28 }, () => next())
  const y = new Float32Array(size * 10)
  for (let i = 0; i < size; i++) y[i * 10 + Math.floor(next() * 10)] = 1
  return { x, y }
}

async function trainSteps(
  backend: string,
  initial: NamedWeights[],
  batch: { x: Float32Array; y: Float32Array },
  checkLeaks: boolean,
): Promise<StepResult> {
  await tf.setBackend(backend)
  const baseline = tf.memory().numTensors
  const model = buildModel(0)
  const init = initial.map((w) => tf.tensor(w.values, w.shape))
  model.setWeights(init)
  tf.dispose(init)
  const optimizer = tf.train.adam(1e-3)
  model.compile({ optimizer, loss: 'categoricalCrossentropy' })
  const size = batch.y.length / 10
  const x = tf.tensor4d(batch.x, [size, 28, 28, 1])
  const y = tf.tensor2d(batch.y, [size, 10])

  const loss = (await model.trainOnBatch(x, y)) as number
  const weights = await readWeights(model)
  // The first step creates the optimiser's slots; a second step must leave the tensor count as it found it.
  let leakedPerStep = 0
  if (checkLeaks) {
    const afterFirst = tf.memory().numTensors
    await model.trainOnBatch(x, y)
    leakedPerStep = tf.memory().numTensors - afterFirst
  }

  tf.dispose([x, y])
  model.dispose()
  optimizer.dispose()
  return { backend: tf.getBackend(), loss, weights, leakedPerStep, leftAfterDispose: tf.memory().numTensors - baseline }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!))
  return max
}
