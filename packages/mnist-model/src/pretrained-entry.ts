// `@mnist/model/pretrained`: the shipped weights as a module (embedded at build time from pretrained/). Importing it
// puts them in your bundle; `loadPretrained()` from the main entry loads the same module lazily, as its own chunk.
export { loadPretrained } from './pretrained'
export type { LoadPretrainedOptions, PretrainedFiles } from './pretrained'
export { getPretrainedFiles } from './pretrained-files'
