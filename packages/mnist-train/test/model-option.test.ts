import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as tf from '@tensorflow/tfjs-core'
import { loadModel, ModelConfigError, ParamBudgetError, sameModelConfig, type ModelConfig } from '@mnist/model'
import { selectBackend } from '@mnist/backends'
import { beforeAll, describe, expect, it } from 'vitest'
import { readCheckpoint } from '../src/checkpoint'
import { InvalidTrainConfigError, ResumeModelMismatchError } from '../src/errors'
import type { TrainOptions } from '../src/options'
import { train } from '../src/node-train'
import { subset, tempDir, TINY_MODEL, weightsOf } from './helpers'

// `train({ model })`: any architecture @mnist/model describes, saved with the model and in checkpoints, checked on
// resume. Model C is read from the file the repository ships (examples/architectures/model-c.json).

const here = path.dirname(fileURLToPath(import.meta.url))
const modelC = async (): Promise<ModelConfig> =>
  JSON.parse(await fs.readFile(path.join(here, '../../../examples/architectures/model-c.json'), 'utf8')) as ModelConfig

const base = async (over: Partial<TrainOptions> = {}): Promise<TrainOptions> => ({
  backend: 'simd',
  data: await subset(640, 200),
  config: { batchSize: 64, epochs: 1, seed: 5 },
  ...over,
})

beforeAll(async () => {
  await selectBackend('simd')
})

describe('train({ model })', () => {
  it('trains model C from its JSON file, saves it with its architecture, resumes to the same weights, loads', async () => {
    const model = await modelC()
    const out = await tempDir('model-c')
    const opts = await base({ model, outDir: out })
    const before = tf.memory().numTensors
    const full = await train({ ...opts, keepModel: true })
    expect(full.params).toBe(22_098)
    // 1x1 and 'valid' convs and global average pooling: all on the simd backend's fused step
    expect(full.stepEngine).toBe('fused')
    expect(sameModelConfig(full.config.model, model)).toBe(true)
    const want = weightsOf(full.model!)
    full.model!.dispose()
    expect(tf.memory().numTensors).toBe(before)

    // the architecture is in the model's metadata and in the checkpoint
    const loaded = await loadModel(full.modelDir!)
    expect(sameModelConfig(loaded.metadata!.modelConfig, model)).toBe(true)
    expect(loaded.model.countParams()).toBeGreaterThan(22_098) // + BatchNorm moving statistics
    const logits = tf.tidy(() => loaded.model.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor)
    expect(logits.shape).toEqual([2, 10])
    logits.dispose()
    loaded.model.dispose()
    expect(sameModelConfig((await readCheckpoint(full.modelDir!)).state.config.model, model)).toBe(true)

    // interrupted after step 3, resumed without naming the model, and once naming the same one
    const controller = new AbortController()
    const stopped = await train({
      ...opts,
      signal: controller.signal,
      onProgress: (p) => p.step === 3 && controller.abort(),
    })
    expect(stopped.interrupted).toBe(true)
    const resumed = await train({ model, resume: stopped.checkpointDir, keepModel: true, data: opts.data })
    expect(resumed.interrupted).toBe(false)
    const got = weightsOf(resumed.model!)
    resumed.model!.dispose()
    got.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(want[i]!.buffer))).toBe(true))
    expect(resumed.testAccuracy).toBe(full.testAccuracy)
  })

  it('refuses to resume with another architecture, naming both', async () => {
    const out = await tempDir('mismatch')
    const opts = await base({ model: TINY_MODEL as ModelConfig, outDir: out })
    const controller = new AbortController()
    const stopped = await train({
      ...opts,
      signal: controller.signal,
      onProgress: (p) => p.step === 1 && controller.abort(),
    })
    const dir = stopped.checkpointDir!
    const other: ModelConfig = { layers: [...TINY_MODEL.layers!.slice(0, 4), { type: 'flatten' }] }
    const error = await train({ model: other, resume: dir, data: opts.data }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ResumeModelMismatchError)
    const e = error as ResumeModelMismatchError
    expect(e.code).toBe('TRAIN_RESUME_MODEL_MISMATCH')
    expect(e.option).toBe('model')
    expect(e.message).toContain(dir)
    expect(e.message).toContain('globalAvgPool')
    expect(e.message).toContain('conv8 3x3 bn relu · maxPool2 · flatten · dense10]')
    // the same network written with its defaults spelt out is the same architecture
    const spelt: ModelConfig = {
      layers: TINY_MODEL.layers!.map((l) => (l.type === 'conv' ? { ...l, strides: 1, useBias: false } : l)),
      batchNormEpsilon: 1e-5,
    }
    await expect(
      train({ model: spelt, resume: dir, data: opts.data, signal: AbortSignal.abort() }),
    ).resolves.toMatchObject({ interrupted: true })
  })

  it('checks the architecture before creating anything: bad layer, over budget, given twice', async () => {
    const out = await tempDir('bad-model')
    const opts = await base({ outDir: out })
    const big: ModelConfig = { layers: [{ type: 'flatten' }, { type: 'dense', units: 64 }] }
    await expect(train({ ...opts, model: big })).rejects.toThrow(ParamBudgetError)
    await expect(train({ ...opts, model: big })).rejects.toThrow(
      /50,890 trainable parameters; the budget is fewer than 25,000/,
    )
    const bad = { layers: [{ type: 'conv', filters: 0, kernelSize: 3, padding: 'same' }, { type: 'flatten' }] }
    await expect(train({ ...opts, model: bad as ModelConfig })).rejects.toThrow(ModelConfigError)
    await expect(train({ ...opts, model: bad as ModelConfig })).rejects.toThrow(/layers\[0\]\.filters/)
    await expect(train({ ...opts, model: TINY_MODEL as ModelConfig, config: { model: TINY_MODEL } })).rejects.toThrow(
      InvalidTrainConfigError,
    )
    expect(await fs.readdir(out)).toEqual([])
  })
})
