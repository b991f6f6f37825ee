import * as tfc from '@tensorflow/tfjs-core'
import { loadLayersModel, type LayersModel } from '@tensorflow/tfjs-layers'
import { resolveConfig } from './config'
import { ModelFileError } from './errors'
import { asModelMetadata, validNormalization, type ModelMetadata } from './metadata'
import { checkMetadata, checkParams } from './metadata-check'
import { countParams, rememberModelConfig } from './model'
import { rememberNormalization } from './predict'
import type { ByteLimit } from './read-file'
import { checkFiniteWeights, verifyWeightsChecksum } from './weights-check'

/** Default cap on model.json and metadata.json: the default model's model.json is about 9 KB. */
export const DEFAULT_MAX_MODEL_JSON_BYTES = 16 * 1024 * 1024
/** Default cap on the weight bytes a manifest may declare: 16 M float32 weights (the default model has 21,922). */
export const DEFAULT_MAX_WEIGHT_BYTES = 64 * 1024 * 1024

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 }

/** Reads weight file `path` (the `index`-th of the manifest), never more than `limit.max` bytes. */
export type WeightReader = (path: string, index: number, limit: ByteLimit) => Promise<Uint8Array>

/** Where the model's files come from, for the checks and the messages. */
export interface FileSet {
  /** model.json's contents (object or text) and the name used in messages. */
  modelJson: object | string
  modelJsonName: string
  readWeights: WeightReader
  /** Full name of a weight file for messages (a path or URL). */
  displayName: (path: string) => string
  /** A metadata.json read beside model.json: it must match model.json's metadata block. */
  metadataFile?: { name: string; value: unknown }
  maxWeightBytes: number
}

/** @internal Check, read, verify and build a model from its files (the shared core of every `loadModel` source). */
export async function fromFiles(files: FileSet): Promise<{ model: LayersModel; metadata: ModelMetadata | undefined }> {
  const mj = parseModelJson(files.modelJson, files.modelJsonName)
  const metadata = asModelMetadata(mj.userDefinedMetadata)
  const metaName = files.metadataFile?.name ?? `${files.modelJsonName} (userDefinedMetadata)`
  if (metadata !== undefined) {
    if (files.metadataFile !== undefined) sameMetadata(metadata, files.metadataFile.value, files.metadataFile.name)
    checkMetadata(metadata, metaName)
  }
  const { specs, weights } = await readAllWeights(mj.weightsManifest!, files)
  const allNames = mj.weightsManifest!.flatMap((g) => g.paths.map(files.displayName)).join(' + ')
  if (metadata?.weightsSha256 !== undefined) await verifyWeightsChecksum(weights, metadata.weightsSha256, allNames)
  checkFiniteWeights(specs, weights, allNames, (d) => BYTES[d]!)
  const artifacts: tfc.io.ModelArtifacts = {
    modelTopology: mj.modelTopology,
    weightSpecs: specs,
    // `weights` is a fresh Uint8Array of exactly the declared bytes, so its buffer is the weight data.
    weightData: weights.buffer as ArrayBuffer,
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
    throw new ModelFileError(
      files.modelJsonName,
      `expected a loadable Layers model, but building it failed: ${(cause as Error).message}`,
      { cause },
    )
  }
  if (metadata !== undefined) {
    try {
      checkParams(metadata, metaName, countParams(model))
    } catch (error) {
      model.dispose()
      throw error
    }
  }
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

function parseModelJson(input: object | string, name: string): Partial<tfc.io.ModelJSON> {
  let json: unknown = input
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input)
    } catch (cause) {
      throw new ModelFileError(name, `expected JSON, found malformed text (${(cause as Error).message})`, { cause })
    }
  }
  const mj = json as Partial<tfc.io.ModelJSON> | null
  if (mj === null || typeof mj !== 'object' || Array.isArray(mj)) {
    throw new ModelFileError(
      name,
      'expected a JSON object with modelTopology and weightsManifest, ' +
        `found ${Array.isArray(mj) ? 'an array' : String(mj)}`,
    )
  }
  if (mj.format !== undefined && mj.format !== 'layers-model') {
    throw new ModelFileError(
      name,
      `expected a TensorFlow.js Layers model (format "layers-model"), found format ${JSON.stringify(mj.format)}`,
    )
  }
  if (mj.modelTopology === null || typeof mj.modelTopology !== 'object') {
    throw new ModelFileError(name, 'expected a "modelTopology" object, found none')
  }
  const manifest = mj.weightsManifest
  if (!Array.isArray(manifest) || manifest.some((g) => !g || !Array.isArray(g.paths) || !Array.isArray(g.weights))) {
    throw new ModelFileError(
      name,
      'expected "weightsManifest": [{ paths: string[], weights: [...] }], found none or a malformed one',
    )
  }
  return mj
}

/**
 * The manifest fixes every group's byte count, so each file is read with a cap (a single file: exactly the group's
 * bytes; several: at most what is left of the group) and nothing beyond the declared total is ever read.
 */
async function readAllWeights(
  manifest: tfc.io.WeightsManifestConfig,
  files: FileSet,
): Promise<{ specs: tfc.io.WeightsManifestEntry[]; weights: Uint8Array }> {
  const specs: tfc.io.WeightsManifestEntry[] = []
  const groups = manifest.map((group) => {
    const { bytes, count, dtypes } = groupSize(group, files.modelJsonName)
    specs.push(...group.weights)
    return { group, bytes, what: `${count} ${[...dtypes].join('/') || 'float32'} weights` }
  })
  const total = groups.reduce((s, g) => s + g.bytes, 0)
  if (total > files.maxWeightBytes) {
    throw new ModelFileError(
      files.modelJsonName,
      `weightsManifest declares ${total} bytes of weights; the limit is ${files.maxWeightBytes} (maxWeightBytes)`,
      {
        code: 'MODEL_FILE_TOO_LARGE',
      },
    )
  }
  const weights = new Uint8Array(total)
  let offset = 0
  let fileIndex = 0
  for (const { group, bytes, what } of groups) {
    const end = offset + bytes
    const exact = group.paths.length === 1
    for (const p of group.paths) {
      const part = await files.readWeights(p, fileIndex++, { max: end - offset, exact, what })
      weights.set(part, offset)
      offset += part.byteLength
    }
    if (offset !== end) {
      const got = bytes - (end - offset)
      throw new ModelFileError(
        group.paths.map(files.displayName).join(' + ') || '(no weight file)',
        `expected ${bytes} bytes for ${what}, got ${got} (truncated or from another model?)`,
      )
    }
  }
  return { specs, weights }
}

function groupSize(
  group: tfc.io.WeightsManifestConfig[number],
  modelJsonName: string,
): { bytes: number; count: number; dtypes: Set<string> } {
  let bytes = 0
  let count = 0
  const dtypes = new Set<string>()
  for (const spec of group.weights) {
    const shape = spec.shape ?? []
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw new ModelFileError(
        modelJsonName,
        `weight ${spec.name}: expected a shape of integers >= 0, found ${JSON.stringify(shape)}`,
      )
    }
    const size = shape.reduce((a: number, b: number) => a * b, 1)
    const dtype = spec.quantization?.dtype ?? spec.dtype
    const per = BYTES[dtype]
    if (per === undefined)
      throw new ModelFileError(modelJsonName, `weight ${spec.name}: unsupported dtype ${JSON.stringify(dtype)}`)
    bytes += size * per
    count += size
    dtypes.add(dtype)
  }
  return { bytes, count, dtypes }
}

/** metadata.json is a copy of model.json's metadata block: a difference means one of them was edited or damaged. */
function sameMetadata(fromModelJson: ModelMetadata, fromFile: unknown, file: string): void {
  const a = fromModelJson as unknown as Record<string, unknown>
  const b =
    fromFile !== null && typeof fromFile === 'object' && !Array.isArray(fromFile)
      ? (fromFile as Record<string, unknown>)
      : undefined
  if (b === undefined) {
    throw new ModelFileError(file, 'expected a JSON object (the metadata block of model.json), found something else', {
      code: 'MODEL_METADATA_INVALID',
    })
  }
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
  const differs = keys.find((k) => canonical(a[k]) !== canonical(b[k]))
  if (differs !== undefined) {
    throw new ModelFileError(
      file,
      `field ${differs} differs from the metadata in model.json (userDefinedMetadata); saveModel writes both the same`,
      {
        code: 'MODEL_METADATA_INVALID',
      },
    )
  }
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v) ?? 'undefined'
}
