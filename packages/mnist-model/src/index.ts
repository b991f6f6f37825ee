export { DEFAULT_MODEL_CONFIG, PARAM_BUDGET, planLayers, resolveConfig } from './config'
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
} from './config'
// Owned by @mnist/data (one set of dataset statistics for every package); re-exported for compatibility.
export { MNIST_NORMALIZATION } from '@mnist/data/stats'
export type { Normalization } from '@mnist/data/stats'
export {
  canonicalModelConfig,
  checkModelConfig,
  describeModelConfig,
  parseModelConfig,
  sameModelConfig,
} from './architecture'
export type { CheckedModelConfig } from './architecture'
export { assertParamBudget, countParams, createModel, getModelConfig } from './model'
export type { CreateModelOptions } from './model'
export { formatSummary, summary } from './summary'
export type { LayerSummary, ModelSummary } from './summary'
export { createMetadata } from './metadata'
export type { MetadataInput, ModelMetadata } from './metadata'
export { loadModel, METADATA_FILE, MODEL_JSON_FILE, modelToArtifacts, saveModel, WEIGHTS_FILE } from './io'
export type { LoadedModel, LoadModelOptions, ModelFiles, ModelSource, ModelSourceInMemory } from './io'
export { predict, predictAsync, toInputTensor } from './predict'
export { modelLogits, usesFusedInference } from './fused-inference'
export type { FusedInferenceBackend, ModelLogitsOptions } from './fused-inference'
export type { ImageDataLike, ImageInput, PixelArray, Prediction, PredictInput, PredictOptions } from './predict'
export { preprocessImage } from './preprocess'
export type { RawImage } from './preprocess'
export { loadPretrained } from './pretrained'
export type { LoadPretrainedOptions, PretrainedFiles } from './pretrained'
export { VERSION } from './version'
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
} from './errors'
export type { MnistModelErrorCode, ModelFileErrorCode } from './errors'
