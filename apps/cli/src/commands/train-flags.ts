// @mnist/train names its options (`batchSize`, `outDir`); a user of `mnist train` typed flags. This maps an error
// that names an option to the same error naming the flag too, keeping its code (so its exit code) and cause.

const FLAG_OF: Readonly<Record<string, string>> = {
  epochs: '--epochs',
  batchSize: '--batch-size',
  maxLr: '--lr',
  seed: '--seed',
  labelSmoothing: '--label-smoothing',
  augment: '--augment',
  backend: '--backend',
  threads: '--threads',
  limit: '--limit',
  testLimit: '--test-limit',
  validation: '--validation',
  preset: '--preset',
  outDir: '--out',
  resume: '--resume',
  model: '--arch',
}

/** An error from `train()` that names an option (its `option` field) as one that also names the flag. */
export class TrainFlagError extends Error {
  override name = 'TrainFlagError'
  readonly code: string | undefined
  constructor(
    readonly flag: string,
    error: Error & { code?: string },
  ) {
    super(`${error.message} (flag ${flag})`, { cause: error.cause })
    this.code = error.code
  }
}

export function withFlagName(error: unknown): unknown {
  if (!(error instanceof Error)) return error
  const option = (error as { option?: unknown }).option
  const flag = typeof option === 'string' ? FLAG_OF[option] : undefined
  return flag === undefined ? error : new TrainFlagError(flag, error)
}
