// The report's pictures, as PNG bytes. Drawn with pureimage (pure JS) and the bundled DejaVu Sans font.
import { createCanvas, drawText, encodeBitmap, line, rect, textWidth } from './_canvas'
import type { Bitmap, Context } from './_canvas'
import { DatasetShapeError, InvalidOptionError, describe } from './errors'
import { accuracyFromConfusion } from './metrics'

/** One picture of a digit grid: `rows * cols` grayscale pixels (0 black .. 255 white) and an optional caption. */
export interface DigitCell {
  pixels: Uint8Array
  caption?: string
  /** Caption colour as `#rrggbb` (default dark grey). */
  captionColor?: string
}

export interface DigitGridOptions {
  /** Pictures per row (default: up to 10). */
  columns?: number
  /** Screen pixels per image pixel (default 3). */
  scale?: number
  /** Image height in pixels (default 28). */
  rows?: number
  /** Image width in pixels (default 28). */
  cols?: number
  /** A line of text above the grid. */
  title?: string
}

export interface ConfusionPlotOptions {
  /** Title line (default "Confusion matrix - accuracy X% (n = N)"). */
  title?: string
  /** Class names along the axes (default "0".."9"). */
  labels?: readonly string[]
}

export interface NoiseCurveData {
  gaussian: readonly { sigma: number; accuracy: number }[]
  saltPepper?: readonly { rate: number; accuracy: number }[]
  /** Accuracy without noise: drawn as the rate-0 point of the salt-and-pepper curve when that has none. */
  cleanAccuracy?: number
}

export interface NoiseCurveOptions {
  title?: string
}

type Rgb = readonly [number, number, number]

const WHITE: Rgb = [255, 255, 255]
const AXIS = '#444444'
const GRID = '#e3e3e3'
const TEXT = '#222222'
const MUTED = '#777777'
// matplotlib's "Blues" colour map, light to dark.
const BLUES: readonly Rgb[] = [
  [247, 251, 255],
  [222, 235, 247],
  [198, 219, 239],
  [158, 202, 225],
  [107, 174, 214],
  [66, 146, 198],
  [33, 113, 181],
  [8, 81, 156],
  [8, 48, 107],
]

/**
 * Draws digits side by side in a grid (each on its own black square, white strokes as in MNIST) with an optional
 * caption under each and an optional title; returns PNG bytes. An empty list gives a small picture that says so.
 */
export function renderDigitGrid(cells: readonly DigitCell[], options: DigitGridOptions = {}): Uint8Array {
  const rows = positiveInt('rows', options.rows ?? 28)
  const cols = positiveInt('cols', options.cols ?? 28)
  const scale = positiveInt('scale', options.scale ?? 3)
  const columns = Math.max(1, Math.min(positiveInt('columns', options.columns ?? 10), Math.max(cells.length, 1)))
  if (!Array.isArray(cells)) throw new InvalidOptionError('cells', 'an array of { pixels, caption? }', cells)
  cells.forEach((cell, i) => {
    if (!(cell?.pixels instanceof Uint8Array) || cell.pixels.length !== rows * cols) {
      throw new DatasetShapeError(
        `renderDigitGrid: cells[${i}].pixels must be a Uint8Array of rows * cols = ${rows * cols} pixels, found ${describe(cell?.pixels)}`,
      )
    }
  })

  const pad = 8
  const cellW = cols * scale
  const cellH = rows * scale
  const hasCaptions = cells.some((c) => c.caption)
  const captionSize = Math.max(9, Math.min(13, Math.floor(cellW / 7)))
  const captionH = hasCaptions ? captionSize + 8 : 0
  const titleH = options.title ? 30 : 0
  const gridRows = Math.max(1, Math.ceil(cells.length / columns))
  const width = pad + columns * (cellW + pad)
  const minWidth = options.title ? Math.ceil(3 * pad + textWidth(createCanvas(1, 1).ctx, options.title, 14)) : 0
  const W = Math.max(width, cells.length === 0 ? 220 : 0, minWidth)
  const H = titleH + pad + gridRows * (cellH + captionH + pad)
  const { bitmap, ctx } = createCanvas(W, H)
  if (options.title) drawText(ctx, options.title, pad, 15, { size: 14, valign: 'middle', color: TEXT })
  if (cells.length === 0) {
    drawText(ctx, '(no images)', W / 2, titleH + pad + cellH / 2, {
      size: 13,
      align: 'center',
      valign: 'middle',
      color: MUTED,
    })
    return encodeBitmap(bitmap)
  }
  cells.forEach((cell, i) => {
    const x = pad + (i % columns) * (cellW + pad)
    const y = titleH + pad + Math.floor(i / columns) * (cellH + captionH + pad)
    blitDigit(bitmap, cell.pixels, rows, cols, x, y, scale)
    if (cell.caption) {
      let size = captionSize
      while (size > 8 && textWidth(ctx, cell.caption, size) > cellW + pad - 2) size--
      drawText(ctx, cell.caption, x + cellW / 2, y + cellH + 4, {
        size,
        align: 'center',
        valign: 'top',
        color: cell.captionColor ?? TEXT,
      })
    }
  })
  return encodeBitmap(bitmap)
}

/**
 * Heat map of a confusion matrix (rows true, columns predicted) with the count in every cell. Colour is
 * log(1 + count) / log(1 + largest count) on a light-to-dark blue scale, so a handful of errors stays visible next to
 * a diagonal of thousands; off-diagonal cells with errors get a red outline.
 */
export function renderConfusionMatrix(
  confusion: readonly (readonly number[])[],
  options: ConfusionPlotOptions = {},
): Uint8Array {
  const n = confusion.length
  if (n === 0 || confusion.some((row) => !Array.isArray(row) || row.length !== n)) {
    throw new DatasetShapeError(`renderConfusionMatrix: expected a square matrix, found ${describe(confusion)}`)
  }
  const labels = options.labels ?? Array.from({ length: n }, (_, i) => String(i))
  let max = 0
  let total = 0
  for (const row of confusion)
    for (const v of row) {
      max = Math.max(max, v)
      total += v
    }
  const cell = n <= 10 ? 52 : Math.max(18, Math.floor(520 / n))
  const countSize = Math.max(8, Math.min(14, Math.floor(cell / 3.6)))
  const left = 92
  const top = 84
  const legendW = 90
  const W = left + n * cell + 24 + legendW
  const H = top + n * cell + 40
  const { bitmap, ctx } = createCanvas(W, H)
  const title =
    options.title ??
    `Confusion matrix - accuracy ${(accuracyFromConfusion(confusion) * 100).toFixed(2)}% (n = ${total})`
  drawText(ctx, title, 12, 18, { size: 15, valign: 'middle', color: TEXT })
  drawText(ctx, 'Predicted', left + (n * cell) / 2, 46, { size: 13, align: 'center', valign: 'middle', color: TEXT })
  drawText(ctx, 'True', 14, top - 14, { size: 13, valign: 'middle', color: TEXT })

  const scaleOf = (v: number): number => (max === 0 ? 0 : Math.log1p(v) / Math.log1p(max))
  for (let t = 0; t < n; t++) {
    drawText(ctx, labels[t]!, left - 12, top + t * cell + cell / 2, {
      size: 13,
      align: 'right',
      valign: 'middle',
      color: TEXT,
    })
    for (let p = 0; p < n; p++) {
      const v = confusion[t]![p]!
      const x = left + p * cell
      const y = top + t * cell
      const s = scaleOf(v)
      rect(bitmap, x, y, cell, cell, v === 0 ? WHITE : colormap(s))
      if (v > 0 && t !== p) strokeBox(bitmap, x + 1, y + 1, cell - 2, cell - 2, [214, 39, 40])
      const label = String(v)
      drawText(ctx, label, x + cell / 2, y + cell / 2, {
        size: v >= 10000 ? countSize - 3 : countSize,
        align: 'center',
        valign: 'middle',
        color: v === 0 ? '#c4c4c4' : s > 0.55 ? '#ffffff' : TEXT,
      })
    }
  }
  for (let p = 0; p < n; p++) {
    drawText(ctx, labels[p]!, left + p * cell + cell / 2, top - 14, {
      size: 13,
      align: 'center',
      valign: 'middle',
      color: TEXT,
    })
  }
  // Grid lines between cells.
  for (let k = 0; k <= n; k++) {
    rect(bitmap, left + k * cell, top, 1, n * cell + 1, [210, 210, 210])
    rect(bitmap, left, top + k * cell, n * cell + 1, 1, [210, 210, 210])
  }
  // Colour legend.
  const lx = left + n * cell + 28
  const lh = n * cell
  for (let yy = 0; yy < lh; yy++) rect(bitmap, lx, top + yy, 16, 1, colormap(1 - yy / (lh - 1)))
  strokeBox(bitmap, lx, top, 16, lh, [150, 150, 150])
  const ticks = max === 0 ? [0] : legendTicks(max)
  for (const v of ticks) {
    const yy = top + (1 - scaleOf(v)) * (lh - 1)
    rect(bitmap, lx + 16, yy, 4, 1, [80, 80, 80])
    drawText(ctx, String(v), lx + 23, yy, { size: 10, valign: 'middle', color: MUTED })
  }
  drawText(ctx, 'count (log)', lx - 4, top + lh + 20, { size: 10, valign: 'middle', color: MUTED })
  return encodeBitmap(bitmap)
}

/** One panel of the noise figure: a curve of accuracy (%) against one kind of noise. */
interface NoisePanel {
  title: string
  xLabel: string
  points: { x: number; y: number }[]
  color: string
}

/** A panel's plot area in canvas pixels, and the mapping of data values onto it. */
interface PanelFrame {
  x0: number
  y0: number
  width: number
  height: number
  px: (x: number) => number
  py: (y: number) => number
}

const NOISE_PANEL = { width: 440, height: 320, marginL: 66, marginR: 36, marginT: 70, marginB: 58 }

/**
 * Accuracy (%) against noise level: Gaussian sigma on the left, and, when given, salt-and-pepper rate on the right.
 * Axes with ticks and grid lines, a marker and its value at every point.
 */
export function renderNoiseCurve(noise: NoiseCurveData, options: NoiseCurveOptions = {}): Uint8Array {
  const panels = noisePanels(noise)
  const allY = panels.flatMap((p) => p.points.map((q) => q.y))
  const yTicks = niceTicks(Math.min(...allY), 100, 6, { floorToStep: true })
  const yMin = yTicks[0]!
  const yMax = Math.max(yTicks[yTicks.length - 1]!, 100)

  const { width: panelW, height: panelH, marginL, marginR, marginT, marginB } = NOISE_PANEL
  const W = panels.length * (marginL + panelW + marginR)
  const H = marginT + panelH + marginB
  const { bitmap, ctx } = createCanvas(W, H)
  drawText(ctx, options.title ?? 'Accuracy under noise', 12, 18, { size: 15, valign: 'middle', color: TEXT })

  panels.forEach((panel, k) => {
    const x0 = k * (marginL + panelW + marginR) + marginL
    const y0 = marginT
    const xs = panel.points.map((q) => q.x)
    const xTicks = niceTicks(0, Math.max(...xs, 1e-9), 6)
    const xMax = xTicks[xTicks.length - 1]!
    const frame: PanelFrame = {
      x0,
      y0,
      width: panelW,
      height: panelH,
      px: (x) => x0 + (x / xMax) * panelW,
      py: (y) => y0 + panelH - ((y - yMin) / (yMax - yMin)) * panelH,
    }
    drawPanelAxes(ctx, frame, panel, xTicks, yTicks)
    if (k === 0) drawText(ctx, 'accuracy (%)', 8, y0 - 20, { size: 12, valign: 'middle', color: TEXT })
    drawPanelCurve(ctx, frame, panel)
  })
  return encodeBitmap(bitmap)
}

/** The panels to draw, points sorted by noise level; `DatasetShapeError` when there is nothing to draw. */
function noisePanels(noise: NoiseCurveData): NoisePanel[] {
  const gaussian = [...(noise.gaussian ?? [])].sort((a, b) => a.sigma - b.sigma)
  const saltPepper = [...(noise.saltPepper ?? [])].sort((a, b) => a.rate - b.rate)
  if (saltPepper.length > 0 && saltPepper[0]!.rate !== 0 && typeof noise.cleanAccuracy === 'number') {
    saltPepper.unshift({ rate: 0, accuracy: noise.cleanAccuracy })
  }
  if (gaussian.length === 0 && saltPepper.length === 0) {
    throw new DatasetShapeError('renderNoiseCurve: no points (gaussian and saltPepper are both empty)')
  }
  const panels: NoisePanel[] = []
  if (gaussian.length > 0) {
    panels.push({
      title: 'Gaussian noise on the normalised input',
      xLabel: 'sigma',
      points: gaussian.map((g) => ({ x: g.sigma, y: g.accuracy * 100 })),
      color: '#1f77b4',
    })
  }
  if (saltPepper.length > 0) {
    panels.push({
      title: 'Salt-and-pepper noise on the pixels',
      xLabel: 'fraction of pixels flipped',
      points: saltPepper.map((s) => ({ x: s.rate, y: s.accuracy * 100 })),
      color: '#d62728',
    })
  }
  return panels
}

/** Title, grid lines, ticks with labels, the two axes and the x-axis label of one panel. */
function drawPanelAxes(
  ctx: Context,
  frame: PanelFrame,
  panel: NoisePanel,
  xTicks: readonly number[],
  yTicks: readonly number[],
): void {
  const { x0, y0, width: panelW, height: panelH, px, py } = frame
  drawText(ctx, panel.title, x0 + panelW / 2, y0 - 20, { size: 13, align: 'center', valign: 'middle', color: TEXT })
  for (const t of yTicks) {
    const y = py(t)
    line(ctx, x0, y, x0 + panelW, y, GRID)
    line(ctx, x0 - 5, y, x0, y, AXIS)
    drawText(ctx, formatTick(t, yTicks), x0 - 9, y, { size: 11, align: 'right', valign: 'middle', color: TEXT })
  }
  for (const t of xTicks) {
    const x = px(t)
    line(ctx, x, y0, x, y0 + panelH, GRID)
    line(ctx, x, y0 + panelH, x, y0 + panelH + 5, AXIS)
    drawText(ctx, formatTick(t, xTicks), x, y0 + panelH + 16, {
      size: 11,
      align: 'center',
      valign: 'middle',
      color: TEXT,
    })
  }
  line(ctx, x0, y0, x0, y0 + panelH, AXIS, 1.5)
  line(ctx, x0, y0 + panelH, x0 + panelW, y0 + panelH, AXIS, 1.5)
  drawText(ctx, panel.xLabel, x0 + panelW / 2, y0 + panelH + 40, {
    size: 12,
    align: 'center',
    valign: 'middle',
    color: TEXT,
  })
}

/** The curve of one panel: line segments, then a marker and its value at every point. */
function drawPanelCurve(ctx: Context, frame: PanelFrame, panel: NoisePanel): void {
  const { px, py } = frame
  for (let i = 1; i < panel.points.length; i++) {
    const a = panel.points[i - 1]!
    const b = panel.points[i]!
    line(ctx, px(a.x), py(a.y), px(b.x), py(b.y), panel.color, 2.5)
  }
  panel.points.forEach((q, i) => {
    const cx = px(q.x)
    const cy = py(q.y)
    ctx.fillStyle = panel.color
    ctx.beginPath()
    ctx.arc(cx, cy, 4.5, 0, Math.PI * 2)
    ctx.fill()
    drawPointLabel(ctx, frame, panel, i, cx, cy)
  })
}

/**
 * The value of point `i` at (cx, cy): on the side away from the neighbouring points (so the curve does not cross it),
 * inside the plot, and shifted inwards at the left and right edges.
 */
function drawPointLabel(ctx: Context, frame: PanelFrame, panel: NoisePanel, i: number, cx: number, cy: number): void {
  const { x0, y0, width: panelW, height: panelH, py } = frame
  const q = panel.points[i]!
  const label = q.y.toFixed(q.y >= 99.995 ? 1 : 2)
  const w = textWidth(ctx, label, 11)
  const neighbours = [panel.points[i - 1], panel.points[i + 1]].filter((v) => v !== undefined).map((v) => py(v.y))
  const meanNeighbour = neighbours.length > 0 ? neighbours.reduce((a, b) => a + b, 0) / neighbours.length : cy
  let above = meanNeighbour >= cy
  if (above && cy - 14 < y0 + 6) above = false
  if (!above && cy + 14 > y0 + panelH - 6) above = true
  let lx = cx
  let align: 'center' | 'left' | 'right' = 'center'
  if (cx - w / 2 < x0 + 3) {
    lx = cx + 7
    align = 'left'
  } else if (cx + w / 2 > x0 + panelW - 2) {
    lx = cx - 7
    align = 'right'
  }
  drawText(ctx, label, lx, above ? cy - 13 : cy + 14, { size: 11, align, valign: 'middle', color: TEXT })
}

function blitDigit(
  bitmap: Bitmap,
  pixels: Uint8Array,
  rows: number,
  cols: number,
  x0: number,
  y0: number,
  scale: number,
): void {
  const data = bitmap.data
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = pixels[r * cols + c]!
      for (let dy = 0; dy < scale; dy++) {
        const yy = y0 + r * scale + dy
        if (yy < 0 || yy >= bitmap.height) continue
        for (let dx = 0; dx < scale; dx++) {
          const xx = x0 + c * scale + dx
          if (xx < 0 || xx >= bitmap.width) continue
          const i = (yy * bitmap.width + xx) * 4
          data[i] = v
          data[i + 1] = v
          data[i + 2] = v
          data[i + 3] = 255
        }
      }
    }
  }
}

function strokeBox(bitmap: Bitmap, x: number, y: number, w: number, h: number, rgb: Rgb): void {
  rect(bitmap, x, y, w, 1, rgb)
  rect(bitmap, x, y + h - 1, w, 1, rgb)
  rect(bitmap, x, y, 1, h, rgb)
  rect(bitmap, x + w - 1, y, 1, h, rgb)
}

function colormap(s: number): Rgb {
  const t = Math.max(0, Math.min(1, s)) * (BLUES.length - 1)
  const i = Math.min(BLUES.length - 2, Math.floor(t))
  const f = t - i
  const a = BLUES[i]!
  const b = BLUES[i + 1]!
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f]
}

/** Legend ticks: 0, 1, then powers of ten (and their 3x) up to the largest count, and the largest count itself. */
function legendTicks(max: number): number[] {
  const ticks = [0, 1]
  for (let p = 10; p < max; p *= 10) {
    if (p * 0.7 < max) ticks.push(p)
  }
  if (max > 1 && max - ticks[ticks.length - 1]! > max * 0.25) ticks.push(max)
  else if (max > 1) ticks[ticks.length - 1] = max
  return [...new Set(ticks)]
}

/** Round tick values (1, 2, 2.5 or 5 times a power of ten) covering [min, max]. */
export function niceTicks(min: number, max: number, target: number, opts: { floorToStep?: boolean } = {}): number[] {
  if (!(max > min)) max = min + 1
  const raw = (max - min) / Math.max(1, target - 1)
  const pow = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow
  const start = Math.floor(min / step + 1e-9) * step
  const end = Math.ceil(max / step - 1e-9) * step
  const ticks: number[] = []
  for (let v = opts.floorToStep ? start : Math.min(start, min); v <= end + step * 1e-6; v += step) {
    ticks.push(Number(v.toFixed(10)))
  }
  return ticks
}

function formatTick(v: number, ticks: readonly number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : 1
  const decimals = Math.max(
    0,
    Math.min(4, -Math.floor(Math.log10(step) + 1e-9) + (step / 10 ** Math.floor(Math.log10(step)) === 2.5 ? 1 : 0)),
  )
  return v.toFixed(decimals)
}

function positiveInt(option: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new InvalidOptionError(option, 'a positive integer', value)
  return value
}
