// The trainer's view of the seeded RNG: the generator and the seed mixer are @mnist/data's (one owner for every
// package); this module only names the trainer's streams and scopes tfjs's Math.random use.
import { createRng, mixSeed, mulberry32, type Rng } from '@mnist/data/stats'

export { mixSeed }

/** Independent random streams of one run; each (seed, stream, index) gets its own generator. */
export const STREAM = {
  shuffle: 1,
  augment: 2,
  ops: 3,
  noise: 4,
} as const

/** A [0, 1) generator for one (seed, stream, index). */
export function streamRng(seed: number, stream: number, index: number): () => number {
  return mulberry32(mixSeed(seed, stream, index))
}

/** Uniform and normal draws for one (seed, stream, index) (pixel noise needs normal samples). */
export function streamNormalRng(seed: number, stream: number, index: number): Rng {
  return createRng(mixSeed(seed, stream, index))
}

/**
 * Run `fn` with `Math.random` replaced by a seeded generator, then restore it (also on throw).
 * tfjs ops without an explicit seed (dropout, random initialisers) draw their seed from `Math.random`, so this makes
 * them reproducible. `fn` must be synchronous: no other code may run while the swap is in place.
 */
export function withSeededMathRandom<T>(random: () => number, fn: () => T): T {
  const original = Math.random
  Math.random = random
  try {
    return fn()
  } finally {
    Math.random = original
  }
}
