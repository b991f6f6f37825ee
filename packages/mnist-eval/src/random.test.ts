import { describe, expect, it } from 'vitest'
import { createRng } from './random'

describe('createRng', () => {
  it('is deterministic for a seed and stream', () => {
    const a = createRng(7, 3)
    const b = createRng(7, 3)
    const xs = Array.from({ length: 50 }, () => a.uniform())
    const ys = Array.from({ length: 50 }, () => b.uniform())
    expect(xs).toEqual(ys)
  })

  it('gives different sequences for different seeds and streams', () => {
    const first = (seed: number, stream: number): number[] => {
      const r = createRng(seed, stream)
      return Array.from({ length: 8 }, () => r.uniform())
    }
    expect(first(1, 0)).not.toEqual(first(2, 0))
    expect(first(1, 0)).not.toEqual(first(1, 1))
  })

  it('uniform stays in [0, 1) with the right mean and variance', () => {
    const r = createRng(123)
    const n = 200_000
    let sum = 0
    let sq = 0
    let min = Infinity
    let max = -Infinity
    for (let i = 0; i < n; i++) {
      const u = r.uniform()
      min = Math.min(min, u)
      max = Math.max(max, u)
      sum += u
      sq += u * u
    }
    expect(min).toBeGreaterThanOrEqual(0)
    expect(max).toBeLessThan(1)
    const mean = sum / n
    expect(mean).toBeCloseTo(0.5, 2)
    expect(sq / n - mean * mean).toBeCloseTo(1 / 12, 2)
  })

  it('normal has mean 0, variance 1 and Gaussian tails', () => {
    const r = createRng(99)
    const n = 200_000
    let sum = 0
    let sq = 0
    let beyond2 = 0
    let finite = true
    for (let i = 0; i < n; i++) {
      const z = r.normal()
      if (!Number.isFinite(z)) finite = false
      sum += z
      sq += z * z
      if (Math.abs(z) > 2) beyond2++
    }
    expect(finite).toBe(true)
    expect(Math.abs(sum / n)).toBeLessThan(0.01)
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.015)
    // P(|Z| > 2) = 0.0455
    expect(Math.abs(beyond2 / n - 0.0455)).toBeLessThan(0.003)
  })
})
