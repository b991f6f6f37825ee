// A trained model crosses from the worker to the page as its files in memory (TF.js Layers format).
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { loadModel, modelToArtifacts, type LoadedModel } from '@mnist/model'

export interface ModelArtifacts {
  modelJson: object
  weights: ArrayBuffer
}

export async function toArtifacts(model: LayersModel): Promise<ModelArtifacts> {
  const files = await modelToArtifacts(model)
  return { modelJson: files.modelJson, weights: files.weights }
}

export function fromArtifacts(artifacts: ModelArtifacts): Promise<LoadedModel> {
  return loadModel({ modelJson: artifacts.modelJson, weights: artifacts.weights })
}
