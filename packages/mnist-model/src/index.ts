export {
  DEFAULT_MODEL_CONFIG,
  PARAM_BUDGET,
  planLayers,
  resolveConfig,
} from './config.js'
export type {
  Activation,
  ConvLayerSpec,
  DenseLayerSpec,
  DropoutLayerSpec,
  FlattenLayerSpec,
  GlobalAvgPoolLayerSpec,
  LayerSpec,
  MaxPoolLayerSpec,
  ModelConfig,
  PlannedLayer,
  ResolvedModelConfig,
} from './config.js'
// Owned by @mnist/data (one set of dataset statistics for every package); re-exported for compatibility.
export { MNIST_NORMALIZATION } from '@mnist/data/stats'
export type { Normalization } from '@mnist/data/stats'
export { assertParamBudget, countParams, createModel, getModelConfig } from './model.js'
export type { CreateModelOptions } from './model.js'
export { formatSummary, summary } from './summary.js'
export type { LayerSummary, ModelSummary } from './summary.js'
export { createMetadata } from './metadata.js'
export type { MetadataInput, ModelMetadata } from './metadata.js'
export { loadModel, METADATA_FILE, MODEL_JSON_FILE, modelToArtifacts, saveModel, WEIGHTS_FILE } from './io.js'
export type { LoadedModel, LoadModelOptions, ModelFiles, ModelSource, ModelSourceInMemory } from './io.js'
export { predict, predictAsync, toInputTensor } from './predict.js'
export type { ImageDataLike, ImageInput, PixelArray, Prediction, PredictInput, PredictOptions } from './predict.js'
export { preprocessImage } from './preprocess.js'
export type { RawImage } from './preprocess.js'
export { loadPretrained } from './pretrained.js'
export { VERSION } from './version.js'
export {
  EmptyImageError,
  InputRangeError,
  InputShapeError,
  MnistModelError,
  ModelConfigError,
  ModelFileError,
  ParamBudgetError,
  PretrainedUnavailableError,
  UnsupportedEnvironmentError,
} from './errors.js'
export type { MnistModelErrorCode, ModelFileErrorCode } from './errors.js'
