import * as tfc from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { ModelFileError, MnistModelError } from './errors'
import { DEFAULT_MAX_MODEL_JSON_BYTES, DEFAULT_MAX_WEIGHT_BYTES, fromFiles, type FileSet } from './load-files'
import type { ModelMetadata } from './metadata'
import { countParams } from './model'
import { isNode, nodeModules, type NodeModules } from './_node'
import { checkSize, readModelFile, type ByteLimit } from './read-file'
import { sha256Hex } from './sha256'

export const MODEL_JSON_FILE = 'model.json'
export const WEIGHTS_FILE = 'weights.bin'
export const METADATA_FILE = 'metadata.json'

/** The contents of a saved model, ready to be written anywhere (disk, IndexedDB, an upload, ...). */
export interface ModelFiles {
  /** Standard TensorFlow.js Layers `model.json`; `weightsManifest[0].paths` is `['weights.bin']`. */
  modelJson: tfc.io.ModelJSON
  /** The bytes of `weights.bin` (little-endian float32, in manifest order). */
  weights: ArrayBuffer
  /** The metadata block (also inside `modelJson.userDefinedMetadata`). */
  metadata: ModelMetadata | undefined
}

export interface LoadedModel {
  model: LayersModel
  /** The metadata block saved with the model, or `undefined` for a model saved by something else. */
  metadata: ModelMetadata | undefined
}

/** In-memory model files, e.g. from `fetch`, `<input type=file>` or `modelToArtifacts`. */
export interface ModelSourceInMemory {
  /** model.json as an object or as its text. */
  modelJson: object | string
  /** The weight files, in the order of the manifest's paths (one `ArrayBuffer` for a single weights.bin). */
  weights: ArrayBuffer | ArrayBufferView | Array<ArrayBuffer | ArrayBufferView>
}

export type ModelSource = string | URL | ModelSourceInMemory

export interface LoadModelOptions {
  /** `fetch` to use for URLs (default `globalThis.fetch`). */
  fetch?: (input: string, init?: RequestInit) => Promise<Response>
  /** Extra `fetch` options for URLs (headers, credentials, ...). */
  requestInit?: RequestInit
  /** Largest model.json (and metadata.json) read, in bytes (default 16 MiB). */
  maxModelJsonBytes?: number
  /** Most weight bytes a weightsManifest may declare (default 64 MiB = 16 M float32 weights). */
  maxWeightBytes?: number
}

/**
 * Serialise a model into the standard TensorFlow.js Layers format in memory (works in browsers).
 * `metadata.params` is replaced by the model's real trainable-parameter count and `metadata.weightsSha256` by the
 * SHA-256 of the weights (verified by `loadModel`).
 */
export async function modelToArtifacts(model: LayersModel, metadata?: ModelMetadata): Promise<ModelFiles> {
  let captured: tfc.io.ModelArtifacts | undefined
  await model.save(
    tfc.io.withSaveHandler(async (artifacts) => {
      captured = artifacts
      return { modelArtifactsInfo: tfc.io.getModelArtifactsInfoForJSON(artifacts) }
    }),
  )
  if (captured === undefined || captured.weightSpecs === undefined || captured.weightData === undefined) {
    throw new MnistModelError('MODEL_FILE_INVALID', 'model.save() produced no weights')
  }
  const weights = tfc.io.CompositeArrayBuffer.join(captured.weightData)
  const meta =
    metadata === undefined
      ? undefined
      : { ...metadata, params: countParams(model), weightsSha256: await sha256Hex(new Uint8Array(weights)) }
  // A JSON round trip drops `undefined` fields and proves the metadata is serialisable before anything is written.
  const metaJson = meta === undefined ? undefined : (JSON.parse(JSON.stringify(meta)) as ModelMetadata)
  const modelJson: tfc.io.ModelJSON = {
    modelTopology: captured.modelTopology as object,
    format: captured.format ?? 'layers-model',
    generatedBy: captured.generatedBy ?? `TensorFlow.js tfjs-layers`,
    convertedBy: captured.convertedBy ?? null,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: captured.weightSpecs }],
    // tfjs-core's own type for userDefinedMetadata.
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    ...(metaJson === undefined ? {} : { userDefinedMetadata: metaJson as unknown as { [key: string]: {} } }),
  }
  return { modelJson, weights, metadata: metaJson }
}

/**
 * Node: write `model.json`, `weights.bin` (and `metadata.json` when metadata is given) into `dir`, creating it
 * if missing. Each file is written to a temporary name beside the target and renamed; `model.json` is renamed
 * last, so a crash never leaves a model.json pointing at weights that are not there.
 */
export async function saveModel(model: LayersModel, dir: string, metadata?: ModelMetadata): Promise<void> {
  const files = await modelToArtifacts(model, metadata)
  const { fs, path } = await nodeModules('saveModel()')
  try {
    await fs.mkdir(dir, { recursive: true })
  } catch (cause) {
    throw new ModelFileError(
      dir,
      `expected a folder to save the model in, but it could not be created: ${(cause as Error).message}`,
      { cause },
    )
  }
  const writes: Array<[string, Uint8Array | string]> = [[WEIGHTS_FILE, new Uint8Array(files.weights)]]
  if (files.metadata !== undefined) writes.push([METADATA_FILE, `${JSON.stringify(files.metadata, null, 2)}\n`])
  writes.push([MODEL_JSON_FILE, `${JSON.stringify(files.modelJson)}\n`])
  for (const [name, data] of writes) {
    const target = path.join(dir, name)
    const tmp = path.join(dir, `.${name}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`)
    try {
      await fs.writeFile(tmp, data)
      await fs.rename(tmp, target)
    } catch (cause) {
      await fs.rm(tmp, { force: true }).catch(() => undefined)
      throw new ModelFileError(target, `could not be written: ${(cause as Error).message}`, { cause })
    }
  }
}

/**
 * Load a model saved in the TensorFlow.js Layers format:
 * - a folder path (or a path to its model.json) in Node;
 * - an `http(s):` URL / `URL` of model.json or of its folder (anywhere `fetch` exists; in browsers a relative
 *   string is resolved against the page);
 * - in-memory files `{ modelJson, weights }`.
 * Nothing beyond the size limits and the bytes the manifest declares is read; the weights' checksum (when the
 * metadata has one), their finiteness and the metadata fields are checked before the model is used.
 * Every file problem is a `ModelFileError` naming the file and what was expected.
 */
export async function loadModel(source: ModelSource, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const maxWeightBytes = options.maxWeightBytes ?? DEFAULT_MAX_WEIGHT_BYTES
  if (typeof source === 'object' && !(source instanceof URL)) {
    const buffers = Array.isArray(source.weights) ? source.weights : [source.weights]
    return fromFiles({
      modelJson: source.modelJson,
      modelJsonName: MODEL_JSON_FILE,
      maxWeightBytes,
      displayName: (p) => p,
      readWeights: async (p, i, limit) => {
        const b = buffers[i]
        if (b === undefined) {
          const given = `only ${buffers.length} buffer(s) were given`
          throw new ModelFileError(p, `missing: model.json lists weight file #${i + 1} but ${given}`)
        }
        const bytes = toBytes(b)
        checkSize(p, bytes.byteLength, limit)
        return bytes
      },
    })
  }
  const str = source instanceof URL ? source.href : source
  if (/^https?:\/\//i.test(str) || (!isNode() && !/^file:/i.test(str))) {
    return loadFromUrl(str, options, maxWeightBytes)
  }
  return fromFiles(await folderFiles(str, options, maxWeightBytes))
}

/** Node: the files of a model folder (or of the folder of a model.json path), every read bounded. */
async function folderFiles(str: string, options: LoadModelOptions, maxWeightBytes: number): Promise<FileSet> {
  const { fs, path, url } = await nodeModules('loadModel(path)')
  const target = /^file:/i.test(str) ? url.fileURLToPath(str) : str
  let modelJsonPath = path.join(target, MODEL_JSON_FILE)
  try {
    if ((await fs.stat(target)).isFile()) modelJsonPath = target
  } catch (cause) {
    throw new ModelFileError(target, 'not found: expected a folder with model.json and weights.bin', { cause })
  }
  const dir = path.dirname(modelJsonPath)
  await refuseInterruptedCheckpoint(fs, path.join(dir, CHECKPOINT_COMMIT_DIR), dir)
  const maxJson = options.maxModelJsonBytes ?? DEFAULT_MAX_MODEL_JSON_BYTES
  const jsonLimit = (what: string): ByteLimit => ({ max: maxJson, what: `${what} (maxModelJsonBytes)` })
  const missing = 'missing: expected model.json in the model folder'
  const text = utf8(await readModelFile(modelJsonPath, jsonLimit('model.json'), missing))
  const metadataPath = path.join(dir, METADATA_FILE)
  // metadata.json is optional (models saved without metadata, or by other tools).
  const metadataBytes = await readModelFile(metadataPath, jsonLimit('metadata.json'), null)
  const metadataFile =
    metadataBytes === undefined
      ? undefined
      : { name: metadataPath, value: parseJson(utf8(metadataBytes), metadataPath) }
  return {
    modelJson: text,
    modelJsonName: modelJsonPath,
    maxWeightBytes,
    ...(metadataFile !== undefined ? { metadataFile } : {}),
    displayName: (p) => path.resolve(dir, p),
    readWeights: async (p, _i, limit) => {
      const file = path.resolve(dir, p)
      if (path.isAbsolute(p) || path.relative(dir, file).startsWith('..')) {
        throw new ModelFileError(modelJsonPath, `weightsManifest path ${JSON.stringify(p)} leaves the model folder`)
      }
      return readModelFile(file, limit, 'missing: model.json lists it in weightsManifest')
    },
  }
}

/** Where @mnist/train's checkpoint protocol keeps a committed write until every file is renamed into place. */
const CHECKPOINT_COMMIT_DIR = '.commit'

/**
 * A training checkpoint folder killed while its files were being renamed into place can hold the new model.json with
 * the old weights.bin: refuse it as what it is rather than as a checksum mismatch.
 */
async function refuseInterruptedCheckpoint(fs: NodeModules['fs'], commit: string, dir: string): Promise<void> {
  const pending = await fs.stat(commit).then(
    () => true,
    () => false,
  )
  if (!pending) return
  throw new ModelFileError(
    dir,
    `holds an interrupted checkpoint write (${commit}): its files may come from two different checkpoints; ` +
      "resume the training run from this folder (or call @mnist/train's readCheckpoint on it) to finish the write",
    { code: 'MODEL_CHECKPOINT_INCOMPLETE' },
  )
}

async function loadFromUrl(href: string, options: LoadModelOptions, maxWeightBytes: number): Promise<LoadedModel> {
  const doFetch = options.fetch ?? (globalThis.fetch as LoadModelOptions['fetch'])
  if (doFetch === undefined)
    throw new ModelFileError(href, 'cannot be fetched: no fetch() in this environment; pass options.fetch')
  const base = typeof location !== 'undefined' && location?.href ? location.href : undefined
  const u = new URL(href, base)
  if (!u.pathname.endsWith('.json')) u.pathname = `${u.pathname.replace(/\/?$/, '/')}${MODEL_JSON_FILE}`
  const get = async (target: URL, file: string, limit: ByteLimit): Promise<Uint8Array> => {
    let res: Response
    try {
      res = await doFetch(target.href, options.requestInit)
    } catch (cause) {
      throw new ModelFileError(file, `could not be fetched: ${(cause as Error).message}`, { cause })
    }
    if (!res.ok) {
      const what = res.status === 404 ? 'missing' : 'could not be fetched'
      throw new ModelFileError(file, `${what}: ${await describeResponse(res)}`)
    }
    // No model file is a web page: an HTML answer is a dev server's or host's fallback page for a path it lacks.
    if (/\btext\/html\b/i.test(res.headers.get('content-type') ?? '')) {
      throw new ModelFileError(
        file,
        `expected ${limit.what.replace(/ \(.*\)$/, '')}, but the server answered with a web page ` +
          `(${await describeResponse(res)}): the file is not served at this URL`,
      )
    }
    return readBody(res, file, limit)
  }
  const maxJson = options.maxModelJsonBytes ?? DEFAULT_MAX_MODEL_JSON_BYTES
  const text = utf8(await get(u, u.href, { max: maxJson, what: 'model.json (maxModelJsonBytes)' }))
  return fromFiles({
    modelJson: jsonOrExplain(text, u.href),
    modelJsonName: u.href,
    maxWeightBytes,
    displayName: (p) => new URL(p, u).href,
    readWeights: async (p, _i, limit) => {
      const w = new URL(p, u)
      return get(w, w.href, limit)
    },
  })
}

/** `HTTP 404 Not Found, content-type text/html, 1234 bytes: "<!doctype html>..."`: what came back, for messages. */
async function describeResponse(res: Response): Promise<string> {
  const type = res.headers.get('content-type')
  const parts = [`HTTP ${res.status} ${res.statusText}`.trim(), `content-type ${type ?? '(none)'}`]
  try {
    const head = await readBody(res, '(response)', { max: 64 * 1024, what: 'a response' }).catch(() => undefined)
    if (head !== undefined) parts.push(`${head.byteLength} bytes${head.byteLength > 0 ? `: ${preview(head)}` : ''}`)
  } catch {
    // The body is only there to help the message.
  }
  return parts.join(', ')
}

/** The first bytes of a body as text, quoted and cut: enough to recognise a web page or an error document. */
function preview(bytes: Uint8Array): string {
  const text = new TextDecoder().decode(bytes.subarray(0, 80)).replace(/\s+/g, ' ').trim()
  return JSON.stringify(bytes.byteLength > 80 ? `${text}...` : text)
}

/** model.json's text, or (when it is not JSON) an error that shows how the body starts. */
function jsonOrExplain(text: string, file: string): object {
  try {
    return JSON.parse(text) as object
  } catch (cause) {
    const head = preview(new TextEncoder().encode(text))
    throw new ModelFileError(
      file,
      `expected JSON, found malformed text (${(cause as Error).message}); the body starts ${head}`,
      { cause },
    )
  }
}

/** A response body, streamed and cut off as soon as it passes `limit.max` (a server may send anything). */
async function readBody(res: Response, file: string, limit: ByteLimit): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN)
  if (Number.isFinite(declared)) checkSize(file, declared, { ...limit, exact: false })
  const reader = res.body?.getReader()
  let bytes: Uint8Array
  if (reader === undefined) {
    bytes = new Uint8Array(await res.arrayBuffer())
  } else {
    const chunks: Uint8Array[] = []
    let got = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      got += value.byteLength
      if (got > limit.max) {
        await reader.cancel().catch(() => undefined)
        checkSize(file, got, limit)
      }
      chunks.push(value)
    }
    bytes = new Uint8Array(got)
    let off = 0
    for (const c of chunks) {
      bytes.set(c, off)
      off += c.byteLength
    }
  }
  checkSize(file, bytes.byteLength, limit)
  return bytes
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text)
  } catch (cause) {
    // No `cause`: its text is in the message already, and the error stays one line wherever it is printed.
    throw new ModelFileError(file, `expected JSON, found malformed text (${(cause as Error).message})`, {
      code: 'MODEL_METADATA_INVALID',
    })
  }
}

function utf8(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes)
}

function toBytes(b: ArrayBuffer | ArrayBufferView): Uint8Array {
  return b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
}
