import { describe, expect, it } from 'vitest'
import { createRng, mixSeed, mulberry32 } from './random'

// Every expected number below was recorded from the implementations this module replaced (mulberry32 in
// @mnist/data's batches, createRng in @mnist/eval, mixSeed/streamRng in @mnist/train): training and noise results
// stay bit-identical only while these hold exactly.
const take = (next: () => number, n: number): number[] => Array.from({ length: n }, next)

describe('mulberry32', () => {
  it('is the reference mulberry32 sequence (same on every machine)', () => {
    const r = mulberry32(42)
    // Values of the published reference implementation for seed 42.
    expect(take(r, 3).map((x) => Math.floor(x * 2 ** 32))).toEqual([2581720956, 1925393290, 3661312704])
  })

  it('matches the recorded streams, the seed taken as an unsigned 32-bit integer', () => {
    const recorded: [number, number[]][] = [
      [0, [0.26642920868471265, 0.0003297457005828619, 0.2232720274478197, 0.1462021479383111]],
      [1, [0.6270739405881613, 0.002735721180215478, 0.5274470399599522, 0.9810509674716741]],
      [2 ** 31 + 7, [0.602476132567972, 0.7339559779502451, 0.5464768158271909, 0.6116817011497915]],
    ]
    for (const [seed, values] of recorded) expect(take(mulberry32(seed), 4)).toEqual(values)
    const wrapped = [0.8964226141106337, 0.189478256739676, 0.7156526781618595, 0.9440599093213677]
    expect(take(mulberry32(-1), 4)).toEqual(wrapped)
    expect(take(mulberry32(4294967295), 4)).toEqual(wrapped)
  })
})

describe('mixSeed', () => {
  it('matches the recorded seeds of @mnist/train (31-bit, parts above 2^32 count)', () => {
    const cases: [number[], number][] = [
      [[], 315240206],
      [[0], 1768809451],
      [[1], 2031865373],
      [[42, 1, 0], 88205875],
      [[42, 2, 17], 1644130790],
      [[42, 3, -1], 1675441182],
      [[2 ** 40 + 3, 1, 5], 369872371],
      [[7, 3, 1234567], 651345600],
    ]
    for (const [parts, seed] of cases) expect(mixSeed(...parts)).toBe(seed)
  })

  it('feeds mulberry32 as the trainer does (seed, stream, step)', () => {
    const recorded: [number[], number[]][] = [
      [
        [42, 1, 0],
        [0.23055028705857694, 0.8009476186707616, 0.26563144265674055],
      ],
      [
        [42, 3, -1],
        [0.5746433287858963, 0.2731424793601036, 0.7877881943713874],
      ],
      [
        [0, 2, 99],
        [0.8994239373132586, 0.8369280020706356, 0.693945090752095],
      ],
    ]
    for (const [parts, values] of recorded) expect(take(mulberry32(mixSeed(...parts)), 3)).toEqual(values)
  })
})

describe('createRng', () => {
  it('matches the recorded uniform and normal streams of @mnist/eval', () => {
    const recorded: [number, number, number[], number[]][] = [
      [
        0,
        0,
        [0.2132812892086804, 0.5084225528407842, 0.04013913916423917, 0.787020344985649],
        [-0.6916839254381086, -0.036638440976916, 0.06598249478485856],
      ],
      [
        42,
        0,
        [0.12379387696273625, 0.10092427534982562, 0.7551474610809237, 0.12147749355062842],
        [0.41416082050363356, 0.30459587270198524, 1.212173340458214],
      ],
      [
        42,
        7,
        [0.20669049303978682, 0.1410621793475002, 0.6485431408509612, 0.944871382554993],
        [0.4302596409004216, 0.5272194142580149, 1.3602541114761486],
      ],
      [
        4294967295,
        3,
        [0.4590569904539734, 0.4418804303277284, 0.23843988170847297, 0.5993292527273297],
        [-1.035453055648067, 0.3958783481263164, -0.5989479400662251],
      ],
      [
        -5,
        1,
        [0.6847648741677403, 0.8991497240494937, 0.047426403034478426, 0.1829589013941586],
        [1.2245103268987796, -0.8996929665650742, 0.12746178781373865],
      ],
      [
        123.9,
        2 ** 31 + 5,
        [0.8074601285625249, 0.7807628009468317, 0.6081242074724287, 0.8260035596322268],
        [0.3486739630342258, -1.7813844369490088, 0.6291013200040504],
      ],
    ]
    for (const [seed, stream, uniform, normal] of recorded) {
      const u = createRng(seed, stream)
      expect(take(() => u.uniform(), 4)).toEqual(uniform)
      const n = createRng(seed, stream)
      expect(take(() => n.normal(), 3)).toEqual(normal)
    }
    // stream defaults to 0
    expect(createRng(1).uniform()).toBe(0.8582225413993001)
  })

  it('is deterministic for a seed and stream, different across seeds and streams', () => {
    const first = (seed: number, stream: number): number[] => {
      const r = createRng(seed, stream)
      return take(() => r.uniform(), 8)
    }
    expect(first(7, 3)).toEqual(first(7, 3))
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
