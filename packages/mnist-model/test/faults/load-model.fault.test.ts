// Fault injection for loadModel: hostile or damaged model folders must fail fast with a ModelFileError naming the file,
// read nothing beyond the declared sizes, and leave no tensors behind.
import * as tfc from '@tensorflow/tfjs-core'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rename, rm, symlink, truncate, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomPixels } from '../helpers'
import { ModelFileError, type MnistModelErrorCode } from '../../src/errors'
import { loadModel, modelToArtifacts, saveModel } from '../../src/io'
import { createMetadata } from '../../src/metadata'
import { createModel } from '../../src/model'
import { predict } from '../../src/predict'
import { loadPretrained } from '../../src/pretrained'
import { sha256Hex, sha256Js } from '../../src/sha256'

const model = createModel({ seed: 3 })
const metadata = createMetadata(model, { dataset: 'mnist', epochs: 1 })
let root: string
let n = 0

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mnist-model-faults-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

async function saved(): Promise<string> {
  const d = join(root, `m${n++}`)
  await saveModel(model, d, metadata)
  return d
}

/** Rewrite the metadata block in both places saveModel writes it (model.json and metadata.json). */
async function editMetadata(d: string, edit: (m: Record<string, unknown>) => void): Promise<void> {
  const mj = JSON.parse(await readFile(join(d, 'model.json'), 'utf8'))
  edit(mj.userDefinedMetadata)
  await writeFile(join(d, 'model.json'), JSON.stringify(mj))
  await writeFile(join(d, 'metadata.json'), JSON.stringify(mj.userDefinedMetadata, null, 2))
}

/** The load fails with a ModelFileError of `code` about `file`, within `ms`, one line, no tensors left. */
async function fails(
  p: () => Promise<unknown>,
  code: MnistModelErrorCode,
  file: string,
  ms = 5_000,
): Promise<ModelFileError> {
  const before = tfc.memory().numTensors
  const start = Date.now()
  const err = await p().then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(Date.now() - start).toBeLessThan(ms)
  expect(err).toBeInstanceOf(ModelFileError)
  const e = err as ModelFileError
  expect(e.code).toBe(code)
  expect(e.file).toBe(file)
  expect(e.message.startsWith(`[@mnist/model] ${file}: `)).toBe(true)
  expect(e.message).not.toContain('\n')
  expect(tfc.memory().numTensors).toBe(before)
  return e
}

describe('loadModel reads only regular files, never more than declared', () => {
  it('weights.bin as a FIFO: refused at once (no hang)', async () => {
    const d = await saved()
    await rm(join(d, 'weights.bin'))
    execFileSync('mkfifo', [join(d, 'weights.bin')])
    const e = await fails(() => loadModel(d), 'MODEL_FILE_NOT_REGULAR', join(d, 'weights.bin'))
    expect(e.message).toContain('expected a regular file, found a FIFO (named pipe)')
  })

  it('weights.bin as a link to /dev/zero: refused before reading', async () => {
    const d = await saved()
    await rm(join(d, 'weights.bin'))
    await symlink('/dev/zero', join(d, 'weights.bin'))
    const e = await fails(() => loadModel(d), 'MODEL_FILE_NOT_REGULAR', join(d, 'weights.bin'))
    expect(e.message).toContain('found a character device')
  })

  it('model.json and metadata.json as FIFOs or folders: refused, naming them', async () => {
    const d = await saved()
    await rm(join(d, 'metadata.json'))
    execFileSync('mkfifo', [join(d, 'metadata.json')])
    await fails(() => loadModel(d), 'MODEL_FILE_NOT_REGULAR', join(d, 'metadata.json'))
    await rm(join(d, 'metadata.json'))
    await rm(join(d, 'model.json'))
    execFileSync('mkfifo', [join(d, 'model.json')])
    await fails(() => loadModel(d), 'MODEL_FILE_NOT_REGULAR', join(d, 'model.json'))
  })

  it('a 4 GiB sparse weights.bin or model.json: refused from its size, nothing read', async () => {
    const d = await saved()
    await truncate(join(d, 'weights.bin'), 4 * 1024 ** 3)
    const e = await fails(() => loadModel(d), 'MODEL_FILE_TOO_LARGE', join(d, 'weights.bin'), 2_000)
    expect(e.message).toContain(`expected 87688 bytes for 21922 float32 weights, got ${4 * 1024 ** 3}`)
    await truncate(join(d, 'model.json'), 4 * 1024 ** 3)
    await fails(() => loadModel(d), 'MODEL_FILE_TOO_LARGE', join(d, 'model.json'), 2_000)
    const small = await saved()
    const m = await fails(
      () => loadModel(small, { maxModelJsonBytes: 1000 }),
      'MODEL_FILE_TOO_LARGE',
      join(small, 'model.json'),
    )
    expect(m.message).toMatch(/expected at most 1000 bytes for model.json \(maxModelJsonBytes\), got \d+/)
  })

  it('a manifest declaring huge or bad shapes: refused from model.json before any weight is read', async () => {
    const d = await saved()
    const mj = JSON.parse(await readFile(join(d, 'model.json'), 'utf8'))
    mj.weightsManifest[0].weights[0].shape = [100_000, 100_000]
    await writeFile(join(d, 'model.json'), JSON.stringify(mj))
    const e = await fails(() => loadModel(d), 'MODEL_FILE_TOO_LARGE', join(d, 'model.json'))
    expect(e.message).toMatch(/declares \d+ bytes of weights; the limit is 67108864 \(maxWeightBytes\)/)
    mj.weightsManifest[0].weights[0].shape = [-1, 3]
    await writeFile(join(d, 'model.json'), JSON.stringify(mj))
    await fails(() => loadModel(d), 'MODEL_FILE_INVALID', join(d, 'model.json'))
  })

  it('over HTTP, an endless weights body is cut off at the declared size', async () => {
    const d = await saved()
    const modelJson = await readFile(join(d, 'model.json'))
    let sent = 0
    const server: Server = createServer((req, res) => {
      if (req.url === '/m/model.json') return void res.end(modelJson)
      res.writeHead(200)
      const chunk = Buffer.alloc(64 * 1024)
      // Bounded: at most 256 MiB, stopping as soon as the client goes away.
      const pump = (): void => {
        while (sent < 256 * 1024 ** 2 && !res.destroyed) {
          sent += chunk.length
          if (!res.write(chunk)) return void res.once('drain', pump)
        }
        res.end()
      }
      pump()
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/m/`
    try {
      await fails(() => loadModel(url), 'MODEL_FILE_TOO_LARGE', `${url}weights.bin`)
      expect(sent).toBeLessThan(32 * 1024 ** 2)
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
})

describe('loadModel verifies the weights', () => {
  it('a bit flip in weights.bin: checksum mismatch naming the file', async () => {
    const d = await saved()
    const bytes = await readFile(join(d, 'weights.bin'))
    bytes[12_345] ^= 0x10
    await writeFile(join(d, 'weights.bin'), bytes)
    const e = await fails(() => loadModel(d), 'MODEL_WEIGHTS_CHECKSUM_MISMATCH', join(d, 'weights.bin'))
    expect(e.message).toContain(
      `SHA-256 ${createHash('sha256').update(bytes).digest('hex')} does not match weightsSha256`,
    )
  })

  it('NaN or Infinity in the weights of a model saved without a checksum: refused naming the weight', async () => {
    for (const bad of [NaN, Infinity]) {
      const d = await saved()
      await editMetadata(d, (m) => delete m.weightsSha256)
      const bytes = await readFile(join(d, 'weights.bin'))
      new DataView(bytes.buffer, bytes.byteOffset).setFloat32(40, bad, true)
      await writeFile(join(d, 'weights.bin'), bytes)
      const e = await fails(() => loadModel(d), 'MODEL_WEIGHTS_NOT_FINITE', join(d, 'weights.bin'))
      expect(e.message).toContain(`weight conv1/kernel[10] is ${bad}`)
    }
  })

  it('models saved before checksums (no weightsSha256) still load, with the same predictions', async () => {
    const d = await saved()
    await editMetadata(d, (m) => delete m.weightsSha256)
    const { model: loaded, metadata: meta } = await loadModel(d)
    expect(meta?.weightsSha256).toBeUndefined()
    const px = randomPixels(3)
    expect(predict(loaded, px)).toEqual(predict(model, px))
    loaded.dispose()
  })

  it('the shipped pretrained weights carry a checksum that loadPretrained verifies', async () => {
    const weights = await readFile(new URL('../../pretrained/weights.bin', import.meta.url))
    const meta = JSON.parse(await readFile(new URL('../../pretrained/metadata.json', import.meta.url), 'utf8'))
    expect(meta.weightsSha256).toBe(createHash('sha256').update(weights).digest('hex'))
    const { model: m, metadata: loadedMeta } = await loadPretrained()
    expect(loadedMeta?.weightsSha256).toBe(meta.weightsSha256)
    m.dispose()
  })

  it('in memory: a flipped bit in the weights buffer is refused too', async () => {
    const files = await modelToArtifacts(model, metadata)
    const weights = new Uint8Array(files.weights.slice(0))
    weights[7] ^= 1
    await fails(
      () => loadModel({ modelJson: files.modelJson, weights }),
      'MODEL_WEIGHTS_CHECKSUM_MISMATCH',
      'weights.bin',
    )
  })
})

describe('a training checkpoint folder killed mid-write', () => {
  it('holding .commit (new model.json, old weights.bin): refused as an interrupted write, not a checksum error', async () => {
    const d = await saved()
    // @mnist/train's protocol: the new checkpoint is complete in <dir>/.commit, then renamed file by file over <dir>.
    const next = createModel({ seed: 4 })
    const commit = join(d, '.commit')
    await saveModel(next, commit, createMetadata(next, { dataset: 'mnist', epochs: 2 }))
    next.dispose()
    for (const f of ['model.json', 'metadata.json']) await rename(join(commit, f), join(d, f))
    for (const source of [d, join(d, 'model.json')]) {
      const e = await fails(() => loadModel(source), 'MODEL_CHECKPOINT_INCOMPLETE', d)
      expect(e.message).toContain('interrupted checkpoint write')
      expect(e.message).toContain(commit)
      expect(e.message).toContain('resume the training run')
      // A library names no CLI flag.
      expect(e.message).not.toContain('--')
    }
    // Once the write is finished (the last file renamed, .commit removed), the folder loads.
    await rename(join(commit, 'weights.bin'), join(d, 'weights.bin'))
    await rm(commit, { recursive: true })
    const loaded = await loadModel(d)
    expect(loaded.metadata?.epochs).toBe(2)
    loaded.model.dispose()
  })
})

describe('loadModel checks the metadata', () => {
  it('normalization std 0, negative or missing, or a NaN mean: refused naming metadata.json', async () => {
    for (const normalization of [
      { mean: 0.1, std: 0 },
      { mean: 0.1, std: -1 },
      { mean: 0.1 },
      { mean: null, std: 0.3 },
      'x',
    ]) {
      const d = await saved()
      await editMetadata(d, (m) => (m.normalization = normalization))
      const e = await fails(() => loadModel(d), 'MODEL_METADATA_INVALID', join(d, 'metadata.json'))
      expect(e.message).toMatch(/metadata field normalization(\.std|\.mean)?: expected/)
    }
  })

  it("in memory (no metadata.json): the message names model.json's userDefinedMetadata", async () => {
    const files = await modelToArtifacts(model, { ...metadata, normalization: { mean: 0.1, std: 0 } })
    const e = await fails(
      () => loadModel({ modelJson: files.modelJson, weights: files.weights }),
      'MODEL_METADATA_INVALID',
      'model.json (userDefinedMetadata)',
    )
    expect(e.message).toContain(
      'metadata field normalization.std: expected a finite number > 0 (pixels are divided by it), found 0',
    )
  })

  it('other fields: params of another model, a bad checksum string, epochs, testAccuracy', async () => {
    const edits: [string, (m: Record<string, unknown>) => void][] = [
      ['params', (m) => (m.params = 1234)],
      ['weightsSha256', (m) => (m.weightsSha256 = 'abc')],
      ['epochs', (m) => (m.epochs = -2)],
      ['testAccuracy', (m) => (m.testAccuracy = 99.2)],
      ['dataset', (m) => (m.dataset = '')],
    ]
    for (const [field, edit] of edits) {
      const d = await saved()
      await editMetadata(d, edit)
      const e = await fails(() => loadModel(d), 'MODEL_METADATA_INVALID', join(d, 'metadata.json'))
      expect(e.message).toContain(`metadata field ${field}: expected`)
    }
  })

  it('metadata.json edited apart from model.json: refused naming metadata.json and the field', async () => {
    const d = await saved()
    const meta = JSON.parse(await readFile(join(d, 'metadata.json'), 'utf8'))
    meta.normalization.std = 0.5
    await writeFile(join(d, 'metadata.json'), JSON.stringify(meta))
    const e = await fails(() => loadModel(d), 'MODEL_METADATA_INVALID', join(d, 'metadata.json'))
    expect(e.message).toContain('field normalization differs from the metadata in model.json')
    await writeFile(join(d, 'metadata.json'), '{ not json')
    await fails(() => loadModel(d), 'MODEL_METADATA_INVALID', join(d, 'metadata.json'))
  })
})

describe('predict with a model of another architecture', () => {
  it('says which input the model expects instead of failing inside tfjs', async () => {
    const tfl = await import('@tensorflow/tfjs-layers')
    const other = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [32], units: 10 })] })
    expect(() => predict(other, randomPixels(1))).toThrow(
      '[@mnist/model] model input: expected one input of shape [null, 28, 28, 1] (28x28 grayscale images), ' +
        'found [null, 32]',
    )
    other.dispose()
  })
})

describe('sha256', () => {
  it('the plain-JS fallback matches node:crypto at every padding boundary', async () => {
    for (const len of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 87_688]) {
      const data = new Uint8Array(len).map((_, i) => (i * 31 + len) & 255)
      const want = createHash('sha256').update(data).digest('hex')
      expect(Buffer.from(sha256Js(data)).toString('hex')).toBe(want)
      expect(await sha256Hex(data)).toBe(want)
    }
  })
})
