import type { LayersModel } from '@tensorflow/tfjs-layers'
import { argMaxRow, fillNormalized, forward, plan } from './_inference'
import type { InferenceOptions, LabeledImages } from './_inference'
import { InvalidOptionError } from './errors'
import { createRng, type Rng } from '@mnist/data/stats'

export const DEFAULT_NOISE_SIGMAS: readonly number[] = [0, 0.1, 0.2, 0.3, 0.5]
export const DEFAULT_SALT_PEPPER_RATES: readonly number[] = [0.02, 0.05, 0.1]
/** The sigma of the original PyTorch project's logit-stability measure. */
export const LOGIT_DELTA_SIGMA = 0.1
export const DEFAULT_NOISE_SEED = 42

/** Options of `noiseRobustness`. */
export interface NoiseOptions extends InferenceOptions {
  /** Standard deviations of the Gaussian noise added to the normalised input (default 0, 0.1, 0.2, 0.3, 0.5). */
  sigmas?: readonly number[]
  /** Fractions of pixels set to black or white, half each (default 0.02, 0.05, 0.1). `[]` skips them. */
  saltPepperRates?: readonly number[]
  /** Seed of the noise (default 42). Same seed, same data, same model: same numbers, on any backend. */
  seed?: number
}

/** What `noiseRobustness` measured. Accuracies are fractions in [0, 1]. */
export interface NoiseResult {
  /** Number of images used. */
  count: number
  /** The seed the noise was drawn from. */
  seed: number
  /** Accuracy without noise. */
  cleanAccuracy: number
  /** Accuracy with N(0, sigma^2) added to each normalised input value, per sigma, in the order asked. */
  gaussian: { sigma: number; accuracy: number }[]
  /** Accuracy with salt-and-pepper noise on the raw pixels, per rate, in the order asked. */
  saltPepper: { rate: number; accuracy: number }[]
  /**
   * Mean over images and classes of |logits(clean) - logits(clean + N(0, 0.1^2) on the normalised input)|: how much
   * the raw outputs move under small noise. For a softmax-output model it is measured on log-probabilities.
   */
  meanLogitDelta: number
  /** The sigma used for `meanLogitDelta` (0.1). */
  meanLogitDeltaSigma: number
}

interface Condition {
  kind: 'gaussian' | 'saltPepper'
  level: number
  rng: Rng
  correct: number
  delta: boolean
}

/**
 * Measures accuracy under Gaussian noise (added to the normalised input, as the original PyTorch project did) and
 * salt-and-pepper noise (on the 0..255 pixels, then normalised), plus the mean absolute logit change under sigma 0.1.
 *
 * The noise comes from @mnist/data's seeded generator (mulberry32 + Box-Muller, see `createRng`), drawn image after
 * image from one stream per condition. The stream of a condition depends only on the seed and its own sigma or rate,
 * so a sigma's result does not change with the batch size or with which other sigmas are asked for; the sigma 0.1
 * accuracy and `meanLogitDelta` see the same noisy images.
 */
export async function noiseRobustness(
  model: LayersModel,
  data: LabeledImages,
  options: NoiseOptions = {},
): Promise<NoiseResult> {
  const p = plan(model, data, options)
  const sigmas = checkLevels('sigmas', options.sigmas ?? DEFAULT_NOISE_SIGMAS, Infinity)
  const rates = checkLevels('saltPepperRates', options.saltPepperRates ?? DEFAULT_SALT_PEPPER_RATES, 1)
  const seed = options.seed ?? DEFAULT_NOISE_SEED
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new InvalidOptionError('seed', 'an integer in 0..4294967295', seed)
  }

  // One condition per distinct noisy level; sigma 0 is the clean pass itself.
  const conditions = new Map<string, Condition>()
  const addCondition = (kind: Condition['kind'], level: number): void => {
    const key = `${kind}:${level}`
    if (level === 0 || conditions.has(key)) return
    conditions.set(key, { kind, level, rng: createRng(seed, streamId(kind, level)), correct: 0, delta: false })
  }
  for (const s of sigmas) addCondition('gaussian', s)
  addCondition('gaussian', LOGIT_DELTA_SIGMA)
  conditions.get(`gaussian:${LOGIT_DELTA_SIGMA}`)!.delta = true
  for (const r of rates) addCondition('saltPepper', r)

  const capacity = Math.min(p.batchSize, p.count)
  const clean = new Float32Array(capacity * p.pixels)
  const noisy = new Float32Array(capacity * p.pixels)
  const raw = new Uint8Array(capacity * p.pixels)
  let cleanCorrect = 0
  let deltaSum = 0

  for (let start = 0; start < p.count; start += p.batchSize) {
    const n = Math.min(p.batchSize, p.count - start)
    fillNormalized(p, data.images, start, n, clean)
    const cleanLogits = await forward(model, p, clean, n)
    for (let i = 0; i < n; i++) if (argMaxRow(cleanLogits, i, p.classes) === data.labels[start + i]) cleanCorrect++

    for (const condition of conditions.values()) {
      const len = n * p.pixels
      if (condition.kind === 'gaussian') {
        for (let i = 0; i < len; i++) noisy[i] = clean[i]! + condition.level * condition.rng.normal()
      } else {
        saltAndPepper(
          data.images.subarray(start * p.pixels, start * p.pixels + len),
          raw,
          condition.level,
          condition.rng,
        )
        fillNormalized(p, raw, 0, n, noisy)
      }
      const logits = await forward(model, p, noisy, n)
      for (let i = 0; i < n; i++) if (argMaxRow(logits, i, p.classes) === data.labels[start + i]) condition.correct++
      if (condition.delta) {
        for (let i = 0; i < n * p.classes; i++) deltaSum += Math.abs(logits[i]! - cleanLogits[i]!)
      }
    }
  }

  const accuracyOf = (kind: Condition['kind'], level: number): number =>
    level === 0 ? cleanCorrect / p.count : conditions.get(`${kind}:${level}`)!.correct / p.count
  return {
    count: p.count,
    seed,
    cleanAccuracy: cleanCorrect / p.count,
    gaussian: sigmas.map((sigma) => ({ sigma, accuracy: accuracyOf('gaussian', sigma) })),
    saltPepper: rates.map((rate) => ({ rate, accuracy: accuracyOf('saltPepper', rate) })),
    meanLogitDelta: deltaSum / (p.count * p.classes),
    meanLogitDeltaSigma: LOGIT_DELTA_SIGMA,
  }
}

/**
 * Copies `src` into `out`, setting each pixel with probability `rate` to 0 or 255 (half each): one uniform draw per
 * pixel, below rate / 2 -> black, below rate -> white.
 */
export function saltAndPepper(src: Uint8Array, out: Uint8Array, rate: number, rng: Rng): void {
  const half = rate / 2
  for (let i = 0; i < src.length; i++) {
    const u = rng.uniform()
    out[i] = u < rate ? (u < half ? 0 : 255) : src[i]!
  }
}

function checkLevels(option: string, levels: readonly number[], max: number): number[] {
  if (!Array.isArray(levels)) throw new InvalidOptionError(option, 'an array of numbers', levels)
  for (const level of levels) {
    if (typeof level !== 'number' || !Number.isFinite(level) || level < 0 || level > max) {
      throw new InvalidOptionError(option, `numbers in 0..${max === Infinity ? 'Infinity' : max}`, level)
    }
  }
  return [...levels]
}

/** A stream number that depends only on the kind of noise and its level (micro-units), never on list positions. */
function streamId(kind: Condition['kind'], level: number): number {
  const micro = Math.round(level * 1e6) >>> 0
  return kind === 'gaussian' ? micro : (micro ^ 0x5a17_9e37) >>> 0
}
