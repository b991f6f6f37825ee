// The drawing pad's first model: the weights shipped with @mnist/model.
// TEMPORARY (until @mnist/model's bundler-proof loadPretrained() lands): the files by path, through Vite's ?url.
import modelJsonUrl from '../../../../packages/mnist-model/pretrained/model.json?url'
import weightsUrl from '../../../../packages/mnist-model/pretrained/weights.bin?url'
import { loadModel, type LoadedModel } from '@mnist/model'

export async function loadShippedModel(): Promise<LoadedModel> {
  const [modelJson, weights] = await Promise.all([
    fetch(modelJsonUrl).then((r) => r.text()),
    fetch(weightsUrl).then((r) => r.arrayBuffer()),
  ])
  return loadModel({ modelJson, weights })
}
