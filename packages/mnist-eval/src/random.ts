// A small, seeded random source so noise experiments give the same numbers on every backend and machine.
// tfjs's own random ops depend on the backend (and the cpu one on seedrandom's state), so the noise is drawn here in JS
// and uploaded with the images instead.

/** A seeded pseudo-random source: uniform floats in [0, 1) and standard normal samples. */
export interface Rng {
  /** Uniform in [0, 1), 2^-32 resolution. */
  uniform(): number
  /** Standard normal N(0, 1) (Box-Muller transform; the second value of each pair is kept for the next call). */
  normal(): number
}

/**
 * Creates a generator from a 32-bit seed (any finite number; it is truncated to an unsigned 32-bit integer) and an
 * optional stream number, so one seed can feed several independent streams (one per noise condition).
 * The core is mulberry32 (32-bit state, period 2^32), seeded through a splitmix32-style hash of (seed, stream).
 * Good enough for noise experiments; not for cryptography.
 */
export function createRng(seed: number, stream = 0): Rng {
  let state = mix32((Math.trunc(seed) >>> 0) ^ mix32(((stream >>> 0) + 0x9e3779b9) >>> 0))
  let spare: number | undefined

  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

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

function mix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
  return (z ^ (z >>> 16)) >>> 0
}
