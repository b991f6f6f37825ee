// Which of tfjs-core's specs run. Exclusions apply to every mode (cpu included), each with its reason.
export const EXCLUSIONS: { match: string; reason: string }[] = [
  // As in tfjs-backend-cpu's run_tests.ts: needs a browser Worker.
  { match: 'computation in worker', reason: 'needs a browser Web Worker; tfjs-backend-cpu excludes it too' },
]

export function excluded(name: string): boolean {
  return EXCLUSIONS.some((e) => name.includes(e.match))
}

/**
 * The suites of the ops that have a wasm kernel (and of gradients, which run them): what the slower modes re-run.
 * Matched against the top-level describe name, which starts the spec's full name.
 */
export const SUBSET_SUITES = [
  'abs',
  'add',
  'batchNorm',
  'conv2d',
  'conv2dTranspose',
  'div',
  'fused conv2d',
  'fused matmul',
  'gradients',
  'higher-order gradients',
  'leakyRelu',
  'matmul',
  'max',
  'maximum',
  'maxPool',
  'mean',
  'min',
  'minimum',
  'mul',
  'neg',
  'prod',
  'reciprocal',
  'relu',
  'relu6',
  'rsqrt',
  'sqrt',
  'square',
  'squaredDifference',
  'step',
  'sub',
  'sum',
  'tile',
]

export function inSubset(name: string): boolean {
  return SUBSET_SUITES.some((s) => name.startsWith(`${s} `))
}
