import * as tf from '@tensorflow/tfjs'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkModelConfig } from './architecture'
import { loadModel } from './io'
import { countParams } from './model'
import { loadPretrained } from './pretrained'
import { getPretrainedFiles } from './pretrained-files'
import { logits, randomPixels } from '../test/helpers'

const dir = fileURLToPath(new URL('../pretrained/', import.meta.url))

describe('loadPretrained', () => {
  // The weights in pretrained/ are `mnist train --preset best --backend simd` (model C, 30 epochs, augmentation with
  // pixel noise; docs/training-recipe); @mnist/eval's tests measure their accuracy on the real test set.
  it('loads the shipped weights: model C, with its training metadata and the command that made them', async () => {
    const { model, metadata } = await loadPretrained()
    expect(countParams(model)).toBe(22_098)
    expect(metadata?.params).toBe(countParams(model))
    expect(metadata?.dataset).toBe('mnist')
    expect(metadata?.epochs).toBe(30)
    expect(metadata?.seed).toBe(1)
    expect(metadata?.testAccuracy).toBeGreaterThanOrEqual(0.996)
    expect(metadata?.extra?.['command']).toBe('mnist train --preset best --backend simd')
    const modelC = JSON.parse(
      readFileSync(fileURLToPath(new URL('../../../examples/architectures/model-c.json', import.meta.url)), 'utf8'),
    )
    expect(metadata?.modelConfig.layers).toEqual(checkModelConfig(modelC).config.layers)
    expect(metadata?.normalization).toEqual({ mean: 0.1307, std: 0.3081 })
    model.dispose()
  })

  it('embeds exactly the files in pretrained/ (the module is generated from them, never edited)', () => {
    const files = getPretrainedFiles()!
    expect(files.modelJson).toBe(readFileSync(`${dir}model.json`, 'utf8'))
    expect(files.metadataJson).toBe(readFileSync(`${dir}metadata.json`, 'utf8'))
    expect(files.weights).toHaveLength(1)
    expect(Buffer.from(files.weights[0]!).equals(readFileSync(`${dir}weights.bin`))).toBe(true)
  })

  it('getPretrainedFiles() is what loadModel takes', async () => {
    const { model, metadata } = await loadModel(getPretrainedFiles()!)
    expect(metadata?.weightsSha256).toMatch(/^[0-9a-f]{64}$/)
    expect(countParams(model)).toBe(22_098)
    model.dispose()
  })

  it('stock @tensorflow/tfjs loads the shipped files and predicts exactly what loadPretrained() does', async () => {
    const { model } = await loadPretrained()
    const json = JSON.parse(readFileSync(`${dir}model.json`, 'utf8'))
    const bin = readFileSync(`${dir}weights.bin`)
    const stock = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
      }),
    )
    const pixels = randomPixels(4, 15)
    const x = tf.tidy(() => tf.div(tf.sub(tf.div(tf.tensor4d(pixels, [4, 28, 28, 1], 'float32'), 255), 0.1307), 0.3081))
    const stockOut = tf.tidy(() => Array.from((stock.predict(x) as tf.Tensor).dataSync()))
    x.dispose()
    expect(stockOut).toEqual(Array.from(logits(model, pixels)))
    stock.dispose()
    model.dispose()
  })
})

describe('loadPretrained({ url })', () => {
  let server: Server
  let base: string
  beforeAll(async () => {
    // Serves pretrained/ under /m/, and a web page for everything else (what a dev server or an SPA host does).
    server = createServer((req, res) => {
      const path = new URL(req.url!, 'http://x').pathname
      if (path === '/gone/model.json') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no such file')
        return
      }
      const m = /^\/m\/(model\.json|weights\.bin|metadata\.json)$/.exec(path)
      if (m) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(`${dir}${m[1]}`))
        return
      }
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><body>app</body></html>')
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  it('loads the same files from a server', async () => {
    const { model, metadata } = await loadPretrained({ url: `${base}/m/` })
    expect(metadata?.epochs).toBe(30)
    expect(countParams(model)).toBe(22_098)
    model.dispose()
  })

  it('an HTML page instead of model.json: says what was fetched and what came back', async () => {
    const err = await loadPretrained({ url: `${base}/app/pretrained/` }).catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'ModelFileError', code: 'MODEL_FILE_INVALID' })
    const msg = (err as Error).message
    expect(msg).toContain(`${base}/app/pretrained/model.json`)
    expect(msg).toContain('web page')
    expect(msg).toContain('HTTP 200')
    expect(msg).toContain('content-type text/html')
    expect(msg).toContain('<!doctype html>')
  })

  it('a 404: the URL, the status, the content-type and the body', async () => {
    const err = await loadPretrained({ url: `${base}/gone/` }).catch((e: unknown) => e)
    const msg = (err as Error).message
    expect(msg).toContain(`${base}/gone/model.json: missing`)
    expect(msg).toContain('HTTP 404')
    expect(msg).toContain('content-type text/plain')
    expect(msg).toContain('"no such file"')
  })
})
