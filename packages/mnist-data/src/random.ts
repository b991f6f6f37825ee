// The one seeded randomness of the project: training (shuffle, augmentation, dropout seeds) and evaluation noise all
// draw from here, so a seed means the same numbers in every package, on every machine and JS engine.
// Pure integer math and one exact division by 2^32: no Node or browser API, safe in any bundle.

/**
 * mulberry32 (Tommy Ettinger, public domain): a 32-bit state PRNG built only from integer ops (Math.imul, shifts)
 * and one exact division by 2^32, so a seed gives the same sequence on every machine and JS engine.
 * The seed is truncated to an unsigned 32-bit integer (`-1` and `4294967295` give the same stream).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A 31-bit seed mixed from integers (murmur3's mixing of each part and its finaliser). Pure integer math, so the
 * same parts give the same seed everywhere; training derives one generator per (seed, stream, step) from it so any
 * step's randomness can be recreated without replaying earlier steps (that is what makes resume bit-exact).
 * Parts are split into two 32-bit halves, so integers above 2^32 still matter; fractions are dropped.
 */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9 | 0
  for (const part of parts) {
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

/** A seeded pseudo-random source: uniform floats in [0, 1) and standard normal samples. */
export interface Rng {
  /** Uniform in [0, 1), 2^-32 resolution. */
  uniform(): number
  /** Standard normal N(0, 1) (Box-Muller transform; the second value of each pair is kept for the next call). */
  normal(): number
}

/**
 * A generator of uniform and normal samples from a 32-bit seed (any finite number; it is truncated to an unsigned
 * 32-bit integer) and an optional stream number, so one seed can feed several independent streams (evaluation uses
 * one per noise condition). mulberry32 underneath, started from a splitmix32-style hash of (seed, stream).
 * Good enough for noise experiments; not for cryptography.
 */
export function createRng(seed: number, stream = 0): Rng {
  // This (seed, stream) hash predates mixSeed; it stays so that published noise results keep their numbers.
  const uniform = mulberry32(splitmix32((Math.trunc(seed) >>> 0) ^ splitmix32(((stream >>> 0) + 0x9e3779b9) >>> 0)))
  let spare: number | undefined

  const normal = (): number => {
    if (spare !== undefined) {
      const value = spare
      spare = undefined
      return value
    }
    // 1 - u is in (0, 1], so the log never sees 0.
    const u1 = 1 - uniform()
    const u2 = uniform()
    const radius = Math.sqrt(-2 * Math.log(u1))
    const angle = 2 * Math.PI * u2
    spare = radius * Math.sin(angle)
    return radius * Math.cos(angle)
  }

  return { uniform, normal }
}

function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
  return (z ^ (z >>> 16)) >>> 0
}
