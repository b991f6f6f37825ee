import { describe, expect, it } from 'vitest'
import { mulberry32 } from '@mnist/data'
import {
  affineWarp,
  augmentImage,
  DEFAULT_AUGMENTATION,
  IDENTITY_AFFINE,
  sampleAffine,
  validateAugmentation,
} from './augment'

const R = 28
const C = 28

/** A 4x4 bright square whose top-left corner is at (x, y). */
function square(x: number, y: number): Uint8Array {
  const img = new Uint8Array(R * C)
  for (let j = y; j < y + 4; j++) for (let i = x; i < x + 4; i++) img[j * C + i] = 255
  return img
}

function centreOfMass(img: ArrayLike<number>): { x: number; y: number; mass: number } {
  let m = 0
  let sx = 0
  let sy = 0
  for (let y = 0; y < R; y++)
    for (let x = 0; x < C; x++) {
      const v = img[y * C + x]!
      m += v
      sx += v * x
      sy += v * y
    }
  return { x: sx / m, y: sy / m, mass: m }
}

function digitLike(seed: number): Uint8Array {
  const rnd = mulberry32(seed)
  const img = new Uint8Array(R * C)
  for (let y = 6; y < 22; y++) for (let x = 8; x < 20; x++) img[y * C + x] = Math.floor(rnd() * 256)
  return img
}

describe('affineWarp', () => {
  it('reproduces the image exactly with the identity transform (edges included)', () => {
    const img = digitLike(3)
    img[0] = 200 // corners and the last row/column take the border path
    img[R * C - 1] = 100
    img[C - 1] = 50
    expect(augmentImage(img, R, C, IDENTITY_AFFINE)).toEqual(img)
    const out = new Float32Array(R * C)
    affineWarp(img, 0, R, C, IDENTITY_AFFINE, out, 0)
    expect(Array.from(out)).toEqual(Array.from(img))
  })

  it('fuses normalisation: value * scale + bias', () => {
    const img = digitLike(4)
    const out = new Float32Array(R * C)
    affineWarp(img, 0, R, C, IDENTITY_AFFINE, out, 0, 1 / (255 * 0.3081), -0.1307 / 0.3081)
    for (let i = 0; i < img.length; i++) expect(out[i]).toBeCloseTo((img[i]! / 255 - 0.1307) / 0.3081, 5)
  })

  it('translates by whole pixels exactly', () => {
    const img = square(10, 12)
    const moved = augmentImage(img, R, C, { angle: 0, tx: 3, ty: -2, scale: 1 })
    expect(moved).toEqual(square(13, 10))
  })

  it('rotates counter-clockwise as displayed: a blob right of the centre moves to the top', () => {
    // Centre of rotation is (13.5, 13.5); the square's centre is (21.5, 13.5), 8 px to the right.
    const img = square(20, 12)
    const c0 = centreOfMass(img)
    expect(c0.x).toBeCloseTo(21.5, 6)
    const rotated = augmentImage(img, R, C, { angle: 90, tx: 0, ty: 0, scale: 1 })
    const c1 = centreOfMass(rotated)
    expect(c1.x).toBeCloseTo(13.5, 1)
    expect(c1.y).toBeCloseTo(5.5, 1)
    // A small angle moves it up by about r * sin(angle).
    const small = centreOfMass(augmentImage(img, R, C, { angle: 7, tx: 0, ty: 0, scale: 1 }))
    expect(small.y).toBeCloseTo(13.5 - 8 * Math.sin((7 * Math.PI) / 180), 1)
    expect(small.x).toBeCloseTo(13.5 + 8 * Math.cos((7 * Math.PI) / 180), 1)
  })

  it('scales about the centre', () => {
    const img = square(20, 12)
    const c = centreOfMass(augmentImage(img, R, C, { angle: 0, tx: 0, ty: 0, scale: 1.25 }))
    expect(c.x).toBeCloseTo(13.5 + 8 * 1.25, 1)
    expect(c.y).toBeCloseTo(13.5, 1)
  })

  it('reads and writes at offsets (one image inside a batch)', () => {
    const a = digitLike(5)
    const b = digitLike(6)
    const both = new Uint8Array(2 * R * C)
    both.set(a, 0)
    both.set(b, R * C)
    const out = new Float32Array(3 * R * C).fill(-1)
    affineWarp(both, R * C, R, C, { angle: 5, tx: 1.5, ty: -1, scale: 0.95 }, out, 2 * R * C)
    const alone = new Float32Array(R * C)
    affineWarp(b, 0, R, C, { angle: 5, tx: 1.5, ty: -1, scale: 0.95 }, alone, 0)
    expect(Array.from(out.subarray(2 * R * C))).toEqual(Array.from(alone))
    expect(out.subarray(0, 2 * R * C).every((v) => v === -1)).toBe(true)
  })
})

describe('sampleAffine', () => {
  it('stays inside the ranges and is deterministic per seed', () => {
    const draw = (seed: number) => {
      const rnd = mulberry32(seed)
      return Array.from({ length: 500 }, () => sampleAffine(rnd, DEFAULT_AUGMENTATION, R, C))
    }
    const a = draw(1)
    expect(draw(1)).toEqual(a)
    expect(draw(2)).not.toEqual(a)
    for (const p of a) {
      expect(Math.abs(p.angle)).toBeLessThanOrEqual(7)
      expect(Math.abs(p.tx)).toBeLessThanOrEqual(0.07 * 28)
      expect(Math.abs(p.ty)).toBeLessThanOrEqual(0.07 * 28)
      expect(p.scale).toBeGreaterThanOrEqual(0.93)
      expect(p.scale).toBeLessThanOrEqual(1.07)
    }
    // Uses the whole range, both signs.
    expect(Math.max(...a.map((p) => p.angle))).toBeGreaterThan(6)
    expect(Math.min(...a.map((p) => p.angle))).toBeLessThan(-6)
  })

  it('validates ranges, naming the field', () => {
    expect(() => validateAugmentation({ ...DEFAULT_AUGMENTATION, degrees: -1 })).toThrow(/augmentation\.degrees/)
    expect(() => validateAugmentation({ ...DEFAULT_AUGMENTATION, scaleMax: 0.5 })).toThrow(/augmentation\.scaleMax/)
    expect(() => validateAugmentation({ ...DEFAULT_AUGMENTATION, noise: 1.5 })).toThrow(/augmentation\.noise\b/)
    expect(() => validateAugmentation({ ...DEFAULT_AUGMENTATION, noiseSigma: -1 })).toThrow(/augmentation\.noiseSigma/)
    expect(() => validateAugmentation({ ...DEFAULT_AUGMENTATION, noiseSaltPepper: NaN })).toThrow(
      /augmentation\.noiseSaltPepper/,
    )
  })
})
