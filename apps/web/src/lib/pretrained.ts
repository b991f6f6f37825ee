// The drawing pad's first model: the weights shipped with @mnist/model. Their module (@mnist/model/pretrained, a
// chunk of its own) is fetched at once, in parallel with the backend's start; the model is built once both are done
// (a tfjs model needs its backend ready).
import { loadModel, type LoadedModel } from '@mnist/model'

export async function loadShippedModel(backendReady: Promise<unknown>): Promise<LoadedModel> {
  const [shipped] = await Promise.all([import('@mnist/model/pretrained'), backendReady])
  const files = shipped.getPretrainedFiles()
  // A build without weights: loadPretrained() throws the package's own PretrainedUnavailableError.
  return files ? loadModel(files) : shipped.loadPretrained()
}
