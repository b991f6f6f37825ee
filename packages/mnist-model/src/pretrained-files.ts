import { pretrained } from './_pretrained-data'
import { toPretrainedFiles, type PretrainedFiles } from './pretrained'

/**
 * The files of the shipped model (model.json, weights, metadata.json) in memory, e.g. to keep them in IndexedDB or
 * serve them; `loadModel(getPretrainedFiles())` loads them. `undefined` when this build ships no weights.
 */
export function getPretrainedFiles(): PretrainedFiles | undefined {
  return toPretrainedFiles(pretrained)
}
