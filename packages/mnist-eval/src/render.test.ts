import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'
import { DatasetShapeError } from './errors'
import { niceTicks, renderConfusionMatrix, renderDigitGrid, renderNoiseCurve } from './render'

const read = (bytes: Uint8Array): PNG => PNG.sync.read(Buffer.from(bytes))
const pixel = (png: PNG, x: number, y: number): number[] =>
  Array.from(png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3))

function digit(value: number): Uint8Array {
  const px = new Uint8Array(784)
  for (let r = 4; r < 24; r++) for (let c = 12; c < 16; c++) px[r * 28 + c] = value
  return px
}

describe('renderDigitGrid', () => {
  it('lays out cells in the requested columns at the requested scale (exact size, pixels where expected)', () => {
    const cells = Array.from({ length: 7 }, (_, i) => ({ pixels: digit(255), caption: `#${i}: 1 \u2192 7` }))
    const png = read(renderDigitGrid(cells, { columns: 3, scale: 2 }))
    // pad 8, cell 56, 3 columns; caption 9..13 px + 8; 3 rows
    const captionH = Math.max(9, Math.min(13, Math.floor(56 / 7))) + 8
    expect(png.width).toBe(8 + 3 * (56 + 8))
    expect(png.height).toBe(8 + 3 * (56 + captionH + 8))
    // Cell (row 0, column 1): black background at its corner, white stroke at image pixel (10, 13).
    const x0 = 8 + 64
    expect(pixel(png, x0 + 1, 8 + 1)).toEqual([0, 0, 0])
    expect(pixel(png, x0 + 13 * 2, 8 + 10 * 2)).toEqual([255, 255, 255])
    // Captions are drawn: some dark pixels below the first cell.
    let dark = 0
    for (let y = 8 + 56; y < 8 + 56 + captionH; y++)
      for (let x = 8; x < 8 + 56; x++) if (pixel(png, x, y)[0]! < 128) dark++
    expect(dark).toBeGreaterThan(10)
  })

  it('shows gray levels unchanged and honours rows/cols', () => {
    const px = Uint8Array.from({ length: 12 }, (_, i) => i * 20)
    const png = read(renderDigitGrid([{ pixels: px }], { rows: 3, cols: 4, scale: 1 }))
    for (let i = 0; i < 12; i++)
      expect(pixel(png, 8 + (i % 4), 8 + Math.floor(i / 4))).toEqual([i * 20, i * 20, i * 20])
  })

  it('draws an empty grid as a small picture with a title', () => {
    const png = read(renderDigitGrid([], { title: 'No misclassified images' }))
    expect(png.width).toBeGreaterThan(100)
    expect(png.height).toBeGreaterThan(50)
  })

  it('rejects cells of the wrong size', () => {
    expect(() => renderDigitGrid([{ pixels: new Uint8Array(100) }])).toThrow(DatasetShapeError)
    expect(() => renderDigitGrid([{ pixels: digit(1) }], { scale: 0 })).toThrow(/option "scale"/)
  })
})

describe('renderConfusionMatrix', () => {
  it('draws a 10x10 heat map of the documented size, dark where counts are large', () => {
    const m: number[][] = Array.from({ length: 10 }, (_, t) =>
      Array.from({ length: 10 }, (_, p) => (t === p ? 1000 : 0)),
    )
    m[4]![9] = 7
    const png = read(renderConfusionMatrix(m))
    expect(png.width).toBe(92 + 10 * 52 + 24 + 90)
    expect(png.height).toBe(84 + 10 * 52 + 40)
    // Corner of diagonal cell (0, 0) is dark blue; an empty cell is white; the error cell is light blue.
    const [r0, g0, b0] = pixel(png, 92 + 4, 84 + 4)
    expect(b0).toBeGreaterThan(r0! + 40)
    expect(g0).toBeLessThan(100)
    expect(pixel(png, 92 + 52 + 4, 84 + 4)).toEqual([255, 255, 255])
    const [r, , b] = pixel(png, 92 + 9 * 52 + 6, 84 + 4 * 52 + 6)
    expect(b).toBeGreaterThan(r!)
    expect(r).toBeGreaterThan(100)
  })

  it('rejects a non-square matrix', () => {
    expect(() => renderConfusionMatrix([[1, 2], [3]])).toThrow(DatasetShapeError)
  })
})

describe('renderNoiseCurve', () => {
  it('draws one panel for Gaussian noise and two with salt-and-pepper', () => {
    const gaussian = [
      { sigma: 0, accuracy: 0.99 },
      { sigma: 0.1, accuracy: 0.985 },
      { sigma: 0.5, accuracy: 0.9 },
    ]
    const one = read(renderNoiseCurve({ gaussian }))
    expect(one.width).toBe(66 + 440 + 36)
    expect(one.height).toBe(70 + 320 + 58)
    const two = read(renderNoiseCurve({ gaussian, saltPepper: [{ rate: 0.05, accuracy: 0.9 }], cleanAccuracy: 0.99 }))
    expect(two.width).toBe(2 * (66 + 440 + 36))
    // The Gaussian curve's colour appears in the plot area.
    let blue = 0
    for (let i = 0; i < one.data.length; i += 4)
      if (one.data[i] === 0x1f && one.data[i + 1] === 0x77 && one.data[i + 2] === 0xb4) blue++
    expect(blue).toBeGreaterThan(50)
    expect(() => renderNoiseCurve({ gaussian: [] })).toThrow(DatasetShapeError)
  })

  it('picks round tick values', () => {
    expect(niceTicks(0, 0.5, 6)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5])
    expect(niceTicks(87, 100, 6, { floorToStep: true })).toEqual([85, 90, 95, 100])
    expect(niceTicks(0, 0.1, 6)).toEqual([0, 0.02, 0.04, 0.06, 0.08, 0.1])
  })
})
