// The drawing pad's first model: the weights shipped with @mnist/model (built into the package, loaded lazily).
import { loadPretrained, type LoadedModel } from '@mnist/model'

export function loadShippedModel(): Promise<LoadedModel> {
  return loadPretrained()
}
