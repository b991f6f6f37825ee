import { describe, expect, it } from 'vitest'
import { EmptyImageError, InputShapeError } from './errors'
import { preprocessImage, type RawImage } from './preprocess'

/** A w x h canvas, `bg` everywhere, with `fg` strokes drawn by `paint(x, y) => boolean`. */
function draw(
  w: number,
  h: number,
  channels: 1 | 3 | 4,
  bg: number[],
  fg: number[],
  paint: (x: number, y: number) => boolean,
): RawImage {
  const data = new Uint8Array(w * h * channels)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(paint(x, y) ? fg : bg, (y * w + x) * channels)
  return { data, width: w, height: h, channels }
}

function stats(img: Uint8Array) {
  let mass = 0
  let cx = 0
  let cy = 0
  let x0 = 28
  let x1 = -1
  let y0 = 28
  let y1 = -1
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const v = img[y * 28 + x]!
      mass += v
      cx += v * x
      cy += v * y
      if (v > 25) {
        x0 = Math.min(x0, x)
        x1 = Math.max(x1, x)
        y0 = Math.min(y0, y)
        y1 = Math.max(y1, y)
      }
    }
  }
  return { cx: cx / mass, cy: cy / mass, w: x1 - x0 + 1, h: y1 - y0 + 1, max: Math.max(...img) }
}

// A thick "7", off-centre, dark on a light background, in a large picture.
const seven = (x: number, y: number): boolean =>
  (y >= 60 && y < 90 && x >= 150 && x < 330) || // top bar
  (y >= 60 && y < 380 && Math.abs(x - (330 - (y - 60) * 0.45)) < 16) // diagonal

describe('preprocessImage', () => {
  it('turns a large dark-on-light digit into a centred white-on-black 28x28 (centre of mass within 1 px of (14, 14))', () => {
    const out = preprocessImage(draw(480, 400, 1, [235], [20], seven))
    expect(out).toBeInstanceOf(Uint8Array)
    expect(out).toHaveLength(784)
    const s = stats(out)
    expect(s.max).toBe(255)
    expect([out[0], out[27], out[27 * 28], out[783]]).toEqual([0, 0, 0, 0]) // black background
    expect(Math.hypot(s.cx - 14, s.cy - 14)).toBeLessThan(1)
    expect(Math.max(s.w, s.h)).toBeGreaterThanOrEqual(19) // longer side scaled to 20 px
    expect(Math.max(s.w, s.h)).toBeLessThanOrEqual(20)
  })

  it('keeps the aspect ratio of a tall thin stroke (a "1")', () => {
    const one = preprocessImage(draw(300, 300, 1, [255], [0], (x, y) => x >= 140 && x < 160 && y >= 50 && y < 250))
    const s = stats(one)
    expect(s.h).toBe(20)
    expect(s.w).toBeLessThanOrEqual(3)
    expect(Math.abs(s.cx - 14)).toBeLessThan(1)
    expect(Math.abs(s.cy - 14)).toBeLessThan(1)
  })

  it('RGB, RGBA over a transparent background and gray give the same result', () => {
    const gray = preprocessImage(
      draw(120, 100, 1, [255], [0], (x, y) => Math.hypot(x - 50, y - 55) < 30 && Math.hypot(x - 50, y - 55) > 18),
    )
    const rgb = preprocessImage(
      draw(
        120,
        100,
        3,
        [255, 255, 255],
        [0, 0, 0],
        (x, y) => Math.hypot(x - 50, y - 55) < 30 && Math.hypot(x - 50, y - 55) > 18,
      ),
    )
    const rgba = preprocessImage(
      draw(
        120,
        100,
        4,
        [0, 0, 0, 0],
        [0, 0, 0, 255],
        (x, y) => Math.hypot(x - 50, y - 55) < 30 && Math.hypot(x - 50, y - 55) > 18,
      ),
    )
    expect(Array.from(rgb)).toEqual(Array.from(gray))
    expect(Array.from(rgba)).toEqual(Array.from(gray))
    const s = stats(gray)
    expect(Math.hypot(s.cx - 14, s.cy - 14)).toBeLessThan(1)
  })

  it('does not invert an image that is already white on black, and enlarges a small digit', () => {
    const small = draw(
      12,
      12,
      1,
      [0],
      [255],
      (x, y) => x >= 3 && x < 9 && y >= 2 && y < 10 && (x < 5 || x > 6 || y < 4 || y > 7),
    )
    const out = preprocessImage(small)
    expect(out[0]).toBe(0)
    const s = stats(out)
    expect(s.h).toBe(20)
    expect(s.w).toBeGreaterThanOrEqual(14)
    expect(s.w).toBeLessThanOrEqual(16)
  })

  it('errors: wrong data length, bad channels, uniform image', () => {
    expect(() => preprocessImage({ data: new Uint8Array(10), width: 4, height: 4, channels: 1 })).toThrow(
      InputShapeError,
    )
    expect(() => preprocessImage({ data: new Uint8Array(10), width: 4, height: 4, channels: 1 })).toThrow(
      /expected 16 bytes \(4x4x1\), found 10 bytes/,
    )
    expect(() => preprocessImage({ data: new Uint8Array(16), width: 4, height: 4, channels: 5 as 1 })).toThrow(
      /channels 1, 2, 3 or 4/,
    )
    expect(() => preprocessImage({ data: new Uint8Array(64).fill(200), width: 8, height: 8, channels: 1 })).toThrow(
      EmptyImageError,
    )
  })
})
