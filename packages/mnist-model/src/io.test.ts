import * as tf from '@tensorflow/tfjs'
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { logits, randomPixels } from '../test/helpers'
import { ModelFileError } from './errors'
import { loadModel, modelToArtifacts, saveModel } from './io'
import { createMetadata, type ModelMetadata } from './metadata'
import { countParams, createModel, getModelConfig } from './model'
import { predict } from './predict'

let root: string
let dir: string
let server: Server
let baseUrl: string
const model = createModel({ seed: 21 })
const pixels = randomPixels(6, 9)
let metadata: ModelMetadata

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mnist-model-io-'))
  dir = join(root, 'saved', 'nested')
  metadata = createMetadata(model, {
    dataset: 'mnist',
    epochs: 1,
    testAccuracy: 0.9921,
    backend: 'cpu',
    seed: 21,
    trainingConfig: { batchSize: 64 },
  })
  await saveModel(model, dir, metadata)
  server = createServer(async (req, res) => {
    try {
      const body = await readFile(
        join(dir, decodeURIComponent(new URL(req.url!, 'http://x').pathname.replace(/^\/m\//, ''))),
      )
      res.writeHead(200).end(body)
    } catch {
      res.writeHead(404, 'Not Found').end()
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/m/`
})
afterAll(async () => {
  server.close()
  await rm(root, { recursive: true, force: true })
})

async function copyModel(name: string): Promise<string> {
  const d = join(root, name)
  await saveModel(model, d, metadata)
  return d
}

async function rejection(p: Promise<unknown>): Promise<ModelFileError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ModelFileError)
  return err as ModelFileError
}

describe('saveModel / loadModel', () => {
  it('writes the standard Layers format (model.json + weights.bin) and the metadata, nothing else', async () => {
    expect((await readdir(dir)).sort()).toEqual(['metadata.json', 'model.json', 'weights.bin'])
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'))
    expect(json.format).toBe('layers-model')
    expect(json.modelTopology.class_name).toBe('Sequential')
    expect(json.weightsManifest).toHaveLength(1)
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin'])
    expect(json.userDefinedMetadata).toMatchObject({
      dataset: 'mnist',
      epochs: 1,
      testAccuracy: 0.9921,
      params: 21_778,
      seed: 21,
    })
    expect(json.userDefinedMetadata.versions['@tensorflow/tfjs-core']).toBe('4.22.0')
    expect(json.userDefinedMetadata.normalization).toEqual({ mean: 0.1307, std: 0.3081 })
    expect(json.userDefinedMetadata.modelConfig.layers.length).toBeGreaterThan(5)
    expect(JSON.parse(await readFile(join(dir, 'metadata.json'), 'utf8'))).toEqual(json.userDefinedMetadata)
    // 21,778 trainable + 320 BatchNorm moving statistics, float32
    const weights = await readFile(join(dir, 'weights.bin'))
    expect(weights.byteLength).toBe(21_922 * 4)
    // what `sha256sum weights.bin` prints
    expect(json.userDefinedMetadata.weightsSha256).toBe(createHash('sha256').update(weights).digest('hex'))
  })

  it('round trip gives identical predictions, metadata and config', async () => {
    const { model: loaded, metadata: meta } = await loadModel(dir)
    expect(Array.from(logits(loaded, pixels))).toEqual(Array.from(logits(model, pixels)))
    expect(predict(loaded, pixels)).toEqual(predict(model, pixels))
    const { weightsSha256, ...rest } = meta!
    expect(rest).toEqual(JSON.parse(JSON.stringify(metadata)))
    expect(weightsSha256).toMatch(/^[0-9a-f]{64}$/)
    expect(countParams(loaded)).toBe(21_778)
    expect(getModelConfig(loaded)).toEqual(getModelConfig(model))
    loaded.dispose()
    // a path to model.json and a file: URL work too
    for (const src of [join(dir, 'model.json'), new URL(`file://${dir}/`)]) {
      const l = await loadModel(src)
      expect(Array.from(logits(l.model, pixels))).toEqual(Array.from(logits(model, pixels)))
      l.model.dispose()
    }
  })

  it('a saved model loads in stock @tensorflow/tfjs (tf.loadLayersModel + tf.io.fromMemory) with identical predictions', async () => {
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'))
    const bin = await readFile(join(dir, 'weights.bin'))
    const stock = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
      }),
    )
    const x = tf.tidy(() => tf.div(tf.sub(tf.div(tf.tensor4d(pixels, [6, 28, 28, 1], 'float32'), 255), 0.1307), 0.3081))
    const stockOut = tf.tidy(() => Array.from((stock.predict(x) as tf.Tensor).dataSync()))
    x.dispose()
    expect(stockOut).toEqual(Array.from(logits(model, pixels)))
    stock.dispose()
  })

  it('leaks no tensors in save or load', async () => {
    const before = tf.memory().numTensors
    await saveModel(model, join(root, 'leak'), metadata)
    expect(tf.memory().numTensors).toBe(before)
    const { model: l } = await loadModel(join(root, 'leak'))
    l.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })

  it('overwrites an existing save atomically and leaves no temporary files', async () => {
    const d = await copyModel('overwrite')
    const other = createModel({ seed: 99 })
    await saveModel(other, d) // no metadata: model.json + weights.bin only
    expect((await readdir(d)).filter((f) => f.endsWith('.tmp'))).toEqual([])
    const { model: l, metadata: m } = await loadModel(d)
    expect(m).toBeUndefined()
    expect(Array.from(logits(l, pixels))).toEqual(Array.from(logits(other, pixels)))
    l.dispose()
    other.dispose()
  })

  it('in memory: modelToArtifacts -> loadModel({ modelJson, weights })', async () => {
    const files = await modelToArtifacts(model, metadata)
    const { model: l, metadata: m } = await loadModel({
      modelJson: JSON.stringify(files.modelJson),
      weights: files.weights,
    })
    expect(m?.params).toBe(21_778)
    expect(Array.from(logits(l, pixels))).toEqual(Array.from(logits(model, pixels)))
    l.dispose()
    const l2 = await loadModel({ modelJson: files.modelJson, weights: [new Uint8Array(files.weights)] })
    l2.model.dispose()
    await expect(loadModel({ modelJson: files.modelJson, weights: files.weights.slice(0, 1000) })).rejects.toThrow(
      'weights.bin: expected 87688 bytes for 21922 float32 weights, got 1000',
    )
  })

  it('over HTTP from a URL of the folder or of model.json', async () => {
    for (const url of [baseUrl, `${baseUrl}model.json`, new URL(baseUrl.replace(/\/$/, ''))]) {
      const { model: l, metadata: m } = await loadModel(url)
      expect(m?.dataset).toBe('mnist')
      expect(Array.from(logits(l, pixels))).toEqual(Array.from(logits(model, pixels)))
      l.dispose()
    }
    const err = await rejection(loadModel(baseUrl.replace('/m/', '/nothing/')))
    expect(err.file).toMatch(/\/nothing\/model\.json$/)
    expect(err.message).toMatch(/missing: HTTP 404/)
  })

  it('missing weights.bin: ModelFileError naming the file', async () => {
    const d = await copyModel('missing')
    await rm(join(d, 'weights.bin'))
    const err = await rejection(loadModel(d))
    expect(err.file).toBe(join(d, 'weights.bin'))
    expect(err.message).toContain('weights.bin: missing')
    expect(err.code).toBe('MODEL_FILE_INVALID')
  })

  it('truncated or oversized weights.bin: ModelFileError with expected and found sizes', async () => {
    const d = await copyModel('truncated')
    await truncate(join(d, 'weights.bin'), 1000)
    const err = await rejection(loadModel(d))
    expect(err.file).toBe(join(d, 'weights.bin'))
    expect(err.message).toBe(
      `[@mnist/model] ${join(d, 'weights.bin')}: expected 87688 bytes for 21922 float32 weights, got 1000 (truncated or from another model?)`,
    )
    await writeFile(join(d, 'weights.bin'), new Uint8Array(89_672 + 4))
    expect((await rejection(loadModel(d))).message).toContain('got 89676')
  })

  it('weights of another architecture: ModelFileError', async () => {
    const d = await copyModel('mismatch')
    const small = createModel({ seed: 1, layers: [{ type: 'globalAvgPool' }] })
    const files = await modelToArtifacts(small)
    small.dispose()
    await writeFile(join(d, 'weights.bin'), new Uint8Array(files.weights))
    expect((await rejection(loadModel(d))).message).toMatch(/expected 87688 bytes .* got 80/)
  })

  it('malformed, missing or non-Layers model.json: ModelFileError naming model.json', async () => {
    const d = await copyModel('malformed')
    const json = await readFile(join(d, 'model.json'), 'utf8')
    await writeFile(join(d, 'model.json'), json.slice(0, 100))
    let err = await rejection(loadModel(d))
    expect(err.file).toBe(join(d, 'model.json'))
    expect(err.message).toMatch(/expected JSON, found malformed text/)
    await writeFile(
      join(d, 'model.json'),
      JSON.stringify({ format: 'graph-model', modelTopology: {}, weightsManifest: [] }),
    )
    expect((await rejection(loadModel(d))).message).toMatch(
      /expected a TensorFlow.js Layers model .* found format "graph-model"/,
    )
    await writeFile(join(d, 'model.json'), JSON.stringify({ modelTopology: {} }))
    expect((await rejection(loadModel(d))).message).toMatch(/expected "weightsManifest"/)
    const parsed = JSON.parse(json)
    parsed.weightsManifest[0].paths = ['../../etc/passwd']
    await writeFile(join(d, 'model.json'), JSON.stringify(parsed))
    expect((await rejection(loadModel(d))).message).toMatch(/leaves the model folder/)
    parsed.weightsManifest[0].paths = ['weights.bin']
    parsed.modelTopology.config.layers[0].class_name = 'NoSuchLayer'
    await writeFile(join(d, 'model.json'), JSON.stringify(parsed))
    expect((await rejection(loadModel(d))).message).toMatch(/building it failed/)
    await rm(join(d, 'model.json'))
    err = await rejection(loadModel(d))
    expect(err.file).toBe(join(d, 'model.json'))
    err = await rejection(loadModel(join(root, 'does-not-exist')))
    expect(err.message).toMatch(/not found: expected a folder with model.json and weights.bin/)
  })

  it('predict uses the normalisation stored in the metadata of a loaded model', async () => {
    const d = join(root, 'norm')
    await saveModel(model, d, { ...metadata, normalization: { mean: 0.5, std: 0.5 } })
    const { model: l } = await loadModel(d)
    expect(predict(l, pixels)).toEqual(predict(model, pixels, { normalization: { mean: 0.5, std: 0.5 } }))
    expect(predict(l, pixels)).not.toEqual(predict(model, pixels))
    l.dispose()
  })

  it('a folder that cannot be created: ModelFileError naming it, nothing written', async () => {
    const file = join(root, 'a-file')
    await writeFile(file, 'x')
    const err = await rejection(saveModel(model, join(file, 'sub'), metadata))
    expect(err.file).toBe(join(file, 'sub'))
    expect(await readFile(file, 'utf8')).toBe('x')
  })
})
