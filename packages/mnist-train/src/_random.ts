import { mulberry32 } from '@mnist/data'

/** Independent random streams of one run; each (seed, stream, index) gets its own generator. */
export const STREAM = {
  shuffle: 1,
  augment: 2,
  ops: 3,
} as const

/**
 * A 31-bit seed mixed from integers (murmur3's finaliser on each part). Pure integer math, so the same parts give the
 * same seed on every machine; used so that any step's randomness can be recreated without replaying earlier steps
 * (that is what makes resume bit-exact).
 */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9 | 0
  for (const part of parts) {
    // Split into two 32-bit halves so seeds above 2^32 still matter.
    const lo = part >>> 0
    const hi = Math.floor(part / 4294967296) >>> 0
    for (const word of [lo, hi]) {
      let k = Math.imul(word, 0xcc9e2d51)
      k = (k << 15) | (k >>> 17)
      k = Math.imul(k, 0x1b873593)
      h ^= k
      h = (h << 13) | (h >>> 19)
      h = (Math.imul(h, 5) + 0xe6546b64) | 0
    }
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return (h >>> 0) & 0x7fffffff
}

/** A [0, 1) generator for one (seed, stream, index). */
export function streamRng(seed: number, stream: number, index: number): () => number {
  return mulberry32(mixSeed(seed, stream, index))
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
