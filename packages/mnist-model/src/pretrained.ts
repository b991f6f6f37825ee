import { PretrainedUnavailableError } from './errors'
import { loadModel, METADATA_FILE, MODEL_JSON_FILE, type LoadedModel, type LoadModelOptions } from './io'
import { checkSize } from './read-file'
import { fromFiles, DEFAULT_MAX_WEIGHT_BYTES } from './load-files'
import { base64ToBytes } from './base64'
import { VERSION } from './version'
import type { pretrained as PretrainedData } from './_pretrained-data'

export interface LoadPretrainedOptions extends LoadModelOptions {
  /**
   * Load the pretrained files from here instead of the copy built into the package: the URL of a folder holding
   * `model.json`, `weights.bin` and `metadata.json` (a CDN, your own server; the files are exported as
   * `@mnist/model/pretrained/*`) or of its model.json; in Node also a folder path.
   */
  url?: string | URL
}

/** How messages name the embedded files. */
const EMBEDDED = '@mnist/model/pretrained'

/**
 * Load the weights shipped with this package. They are built into the package as a module (`@mnist/model/pretrained`,
 * imported lazily here), so this works the same in Node and in any bundler or import map, with no file to serve;
 * `options.url` loads the same files from a server instead. The weights' SHA-256 and the metadata are checked
 * like any `loadModel`. Throws `PretrainedUnavailableError` when this build of the package ships no weights.
 */
export async function loadPretrained(options: LoadPretrainedOptions = {}): Promise<LoadedModel> {
  const { url, ...loadOptions } = options
  if (url !== undefined) return loadModel(url, loadOptions)
  let data: typeof PretrainedData
  try {
    // A separate chunk for bundlers: apps that never call loadPretrained() never download the weights.
    data = (await import('./_pretrained-data')).pretrained
  } catch (cause) {
    throw new PretrainedUnavailableError(
      VERSION,
      `could not import the module that holds the weights (${EMBEDDED}): ${(cause as Error).message}`,
      { cause },
    )
  }
  if (data === undefined) {
    throw new PretrainedUnavailableError(VERSION, 'this build of the package was made without pretrained/ weights')
  }
  return loadEmbedded(data, loadOptions)
}

/** The embedded files through the same checks as files on disk (metadata.json must match model.json's block). */
async function loadEmbedded(data: NonNullable<typeof PretrainedData>, options: LoadModelOptions): Promise<LoadedModel> {
  const name = (p: string): string => `${EMBEDDED}/${p}`
  const maxWeightBytes = options.maxWeightBytes ?? DEFAULT_MAX_WEIGHT_BYTES
  return fromFiles({
    modelJson: data.modelJson,
    modelJsonName: name(MODEL_JSON_FILE),
    maxWeightBytes,
    displayName: name,
    ...(data.metadataJson !== undefined
      ? { metadataFile: { name: name(METADATA_FILE), value: JSON.parse(data.metadataJson) as unknown } }
      : {}),
    readWeights: async (p, _i, limit) => {
      const b64 = data.weights[p]
      const bytes = b64 === undefined ? new Uint8Array(0) : base64ToBytes(b64)
      checkSize(name(p), bytes.byteLength, limit)
      return bytes
    },
  })
}

/** The shipped files in memory, in the shape `loadModel` takes (`{ modelJson, weights }`), plus metadata.json. */
export interface PretrainedFiles {
  /** model.json's text (its `userDefinedMetadata` holds the metadata). */
  modelJson: string
  /** The weight files in the order model.json's manifest lists them (one: weights.bin). */
  weights: ArrayBuffer[]
  /** metadata.json's text. */
  metadataJson: string | undefined
}

/** @internal The embedded data as `PretrainedFiles` (each call decodes a fresh copy of the weights). */
export function toPretrainedFiles(data: typeof PretrainedData): PretrainedFiles | undefined {
  if (data === undefined) return undefined
  const manifest = (JSON.parse(data.modelJson) as { weightsManifest: Array<{ paths: string[] }> }).weightsManifest
  const weights = manifest
    .flatMap((g) => g.paths)
    .map((p) => base64ToBytes(data.weights[p] ?? '').buffer as ArrayBuffer)
  return { modelJson: data.modelJson, weights, metadataJson: data.metadataJson }
}
