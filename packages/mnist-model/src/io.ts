import * as tfc from '@tensorflow/tfjs-core'
import { loadLayersModel, type LayersModel } from '@tensorflow/tfjs-layers'
import { resolveConfig } from './config.js'
import { ModelFileError, MnistModelError } from './errors.js'
import { asModelMetadata, validNormalization, type ModelMetadata } from './metadata.js'
import { countParams, rememberModelConfig } from './model.js'
import { isNode, nodeModules } from './_node.js'
import { rememberNormalization } from './predict.js'

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
}

/**
 * Serialise a model into the standard TensorFlow.js Layers format in memory (works in browsers).
 * `metadata.params` is replaced by the model's real trainable-parameter count.
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
  const meta = metadata === undefined ? undefined : { ...metadata, params: countParams(model) }
  // A JSON round trip drops `undefined` fields and proves the metadata is serialisable before anything is written.
  const metaJson = meta === undefined ? undefined : (JSON.parse(JSON.stringify(meta)) as ModelMetadata)
  const modelJson: tfc.io.ModelJSON = {
    modelTopology: captured.modelTopology as object,
    format: captured.format ?? 'layers-model',
    generatedBy: captured.generatedBy ?? `TensorFlow.js tfjs-layers`,
    convertedBy: captured.convertedBy ?? null,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: captured.weightSpecs }],
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
    throw new ModelFileError(dir, `expected a folder to save the model in, but it could not be created: ${(cause as Error).message}`, { cause })
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
 * Every file problem is a `ModelFileError` naming the file and what was expected.
 */
export async function loadModel(source: ModelSource, options: LoadModelOptions = {}): Promise<LoadedModel> {
  if (typeof source === 'object' && !(source instanceof URL)) {
    const buffers = Array.isArray(source.weights) ? source.weights : [source.weights]
    return fromFiles(source.modelJson, MODEL_JSON_FILE, async (p, i) => {
      const b = buffers[i]
      if (b === undefined) throw new ModelFileError(p, `missing: model.json lists weight file #${i + 1} but only ${buffers.length} buffer(s) were given`)
      return toArrayBuffer(b)
    })
  }
  const str = source instanceof URL ? source.href : source
  if (/^https?:\/\//i.test(str) || (!isNode() && !/^file:/i.test(str))) {
    return loadFromUrl(str, options)
  }
  const { fs, path, url } = await nodeModules('loadModel(path)')
  const target = /^file:/i.test(str) ? url.fileURLToPath(str) : str
  let modelJsonPath = path.join(target, MODEL_JSON_FILE)
  try {
    if ((await fs.stat(target)).isFile()) modelJsonPath = target
  } catch (cause) {
    throw new ModelFileError(target, 'not found: expected a folder with model.json and weights.bin', { cause })
  }
  const dir = path.dirname(modelJsonPath)
  let text: string
  try {
    text = await fs.readFile(modelJsonPath, 'utf8')
  } catch (cause) {
    throw new ModelFileError(modelJsonPath, `could not be read: ${(cause as Error).message}`, { cause })
  }
  return fromFiles(text, modelJsonPath, async (p) => {
    const file = path.resolve(dir, p)
    if (path.isAbsolute(p) || path.relative(dir, file).startsWith('..')) {
      throw new ModelFileError(modelJsonPath, `weightsManifest path ${JSON.stringify(p)} leaves the model folder`)
    }
    try {
      return toArrayBuffer(await fs.readFile(file))
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code
      throw new ModelFileError(
        file,
        code === 'ENOENT' ? 'missing: model.json lists it in weightsManifest' : `could not be read: ${(cause as Error).message}`,
        { cause },
      )
    }
  }, (p) => path.resolve(dir, p))
}

async function loadFromUrl(href: string, options: LoadModelOptions): Promise<LoadedModel> {
  const doFetch = options.fetch ?? (globalThis.fetch as LoadModelOptions['fetch'])
  if (doFetch === undefined) throw new ModelFileError(href, 'cannot be fetched: no fetch() in this environment; pass options.fetch')
  const base = typeof location !== 'undefined' && location?.href ? location.href : undefined
  const u = new URL(href, base)
  if (!u.pathname.endsWith('.json')) u.pathname = `${u.pathname.replace(/\/?$/, '/')}${MODEL_JSON_FILE}`
  const get = async (target: URL, file: string): Promise<Response> => {
    let res: Response
    try {
      res = await doFetch(target.href, options.requestInit)
    } catch (cause) {
      throw new ModelFileError(file, `could not be fetched: ${(cause as Error).message}`, { cause })
    }
    if (!res.ok) throw new ModelFileError(file, `${res.status === 404 ? 'missing' : 'could not be fetched'}: HTTP ${res.status} ${res.statusText}`.trim())
    return res
  }
  const text = await (await get(u, u.href)).text()
  return fromFiles(text, u.href, async (p) => {
    const w = new URL(p, u)
    return (await get(w, w.href)).arrayBuffer()
  }, (p) => new URL(p, u).href)
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 }

async function fromFiles(
  modelJsonInput: object | string,
  modelJsonName: string,
  readWeights: (path: string, index: number) => Promise<ArrayBuffer>,
  displayName: (path: string) => string = (p) => p,
): Promise<LoadedModel> {
  let json: unknown = modelJsonInput
  if (typeof modelJsonInput === 'string') {
    try {
      json = JSON.parse(modelJsonInput)
    } catch (cause) {
      throw new ModelFileError(modelJsonName, `expected JSON, found malformed text (${(cause as Error).message})`, { cause })
    }
  }
  const mj = json as Partial<tfc.io.ModelJSON> | null
  if (mj === null || typeof mj !== 'object' || Array.isArray(mj)) {
    throw new ModelFileError(modelJsonName, `expected a JSON object with modelTopology and weightsManifest, found ${Array.isArray(mj) ? 'an array' : String(mj)}`)
  }
  if (mj.format !== undefined && mj.format !== 'layers-model') {
    throw new ModelFileError(modelJsonName, `expected a TensorFlow.js Layers model (format "layers-model"), found format ${JSON.stringify(mj.format)}`)
  }
  if (mj.modelTopology === null || typeof mj.modelTopology !== 'object') {
    throw new ModelFileError(modelJsonName, 'expected a "modelTopology" object, found none')
  }
  const manifest = mj.weightsManifest
  if (!Array.isArray(manifest) || manifest.some((g) => !g || !Array.isArray(g.paths) || !Array.isArray(g.weights))) {
    throw new ModelFileError(modelJsonName, 'expected "weightsManifest": [{ paths: string[], weights: [...] }], found none or a malformed one')
  }
  const specs: tfc.io.WeightsManifestEntry[] = []
  const buffers: ArrayBuffer[] = []
  let fileIndex = 0
  for (const group of manifest) {
    let expectedBytes = 0
    let count = 0
    const dtypes = new Set<string>()
    for (const spec of group.weights) {
      const size = (spec.shape ?? []).reduce((a: number, b: number) => a * b, 1)
      const dtype = spec.quantization?.dtype ?? spec.dtype
      const per = BYTES[dtype]
      if (per === undefined) throw new ModelFileError(modelJsonName, `weight ${spec.name}: unsupported dtype ${JSON.stringify(dtype)}`)
      expectedBytes += size * per
      count += size
      dtypes.add(dtype)
      specs.push(spec)
    }
    const parts: ArrayBuffer[] = []
    for (const p of group.paths) parts.push(await readWeights(p, fileIndex++))
    const got = parts.reduce((s, b) => s + b.byteLength, 0)
    if (got !== expectedBytes) {
      throw new ModelFileError(
        group.paths.map(displayName).join(' + ') || '(no weight file)',
        `expected ${expectedBytes} bytes for ${count} ${[...dtypes].join('/') || 'float32'} weights, got ${got}` +
          (got < expectedBytes ? ' (truncated or from another model?)' : ' (from another model?)'),
      )
    }
    buffers.push(...parts)
  }
  const artifacts: tfc.io.ModelArtifacts = {
    modelTopology: mj.modelTopology,
    weightSpecs: specs,
    weightData: tfc.io.CompositeArrayBuffer.join(buffers),
    format: mj.format,
    generatedBy: mj.generatedBy,
    convertedBy: mj.convertedBy,
    ...(mj.trainingConfig ? { trainingConfig: mj.trainingConfig } : {}),
    ...(mj.userDefinedMetadata ? { userDefinedMetadata: mj.userDefinedMetadata } : {}),
  }
  let model: LayersModel
  try {
    model = await loadLayersModel(tfc.io.fromMemory(artifacts))
  } catch (cause) {
    throw new ModelFileError(modelJsonName, `expected a loadable Layers model, but building it failed: ${(cause as Error).message}`, { cause })
  }
  const metadata = asModelMetadata(mj.userDefinedMetadata)
  const normalization = validNormalization(metadata)
  if (normalization !== undefined) rememberNormalization(model, normalization)
  if (metadata?.modelConfig !== undefined) {
    try {
      rememberModelConfig(model, resolveConfig(metadata.modelConfig))
    } catch {
      // A metadata config this version cannot resolve does not make the weights unusable.
    }
  }
  return { model, metadata }
}

function toArrayBuffer(b: ArrayBuffer | ArrayBufferView): ArrayBuffer {
  if (b instanceof ArrayBuffer) return b
  const view = new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
  return view.slice().buffer
}
