import { PretrainedUnavailableError } from './errors'
import { loadModel, MODEL_JSON_FILE, type LoadedModel, type LoadModelOptions } from './io'
import { isNode, nodeModules } from './_node'
import { VERSION } from './version'

/** Folder of the shipped weights, relative to the built module (`dist/index.js` -> `../pretrained/`). */
const PRETRAINED_DIR = '../pretrained/'

/**
 * Load the weights shipped inside this package (`pretrained/model.json` + `weights.bin`).
 * Node: read from the installed package. Browsers: fetched relative to the module URL (works when the module is
 * served as-is, e.g. from a CDN; with a bundler, copy `pretrained/` to your assets and use `loadModel(url)`).
 * Throws `PretrainedUnavailableError` when this version ships no weights.
 */
export async function loadPretrained(options: LoadModelOptions = {}): Promise<LoadedModel> {
  // A non-literal base keeps bundlers from trying to resolve (and failing on) the folder at build time.
  const base: string = import.meta.url
  const dir = new URL(PRETRAINED_DIR, base)
  if (isNode() && dir.protocol === 'file:') {
    const { fs, url } = await nodeModules('loadPretrained()')
    const folder = url.fileURLToPath(dir)
    try {
      await fs.access(new URL(MODEL_JSON_FILE, dir))
    } catch (cause) {
      throw new PretrainedUnavailableError(VERSION, folder, { cause })
    }
    return loadModel(folder, options)
  }
  try {
    return await loadModel(new URL(MODEL_JSON_FILE, dir), options)
  } catch (cause) {
    throw new PretrainedUnavailableError(VERSION, dir.href, { cause })
  }
}
