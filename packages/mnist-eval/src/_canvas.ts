// Thin layer over pureimage (pure-JS 2D canvas) and pngjs: one bundled font, text placement that does not depend on
// pureimage's approximate baseline maths, and PNG encoding straight from the RGBA buffer (synchronous).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as PImage from 'pureimage'
import { PNG } from 'pngjs'
import { MnistEvalError } from './errors'

export type Bitmap = ReturnType<typeof PImage.make>
export type Context = ReturnType<Bitmap['getContext']>

const FONT_FAMILY = 'MnistEvalDejaVuSans'
/** Height of DejaVu Sans digits and capitals as a fraction of the font size (1493 of 2048 units per em). */
const CAP_HEIGHT = 0.729
let fontLoaded = false

/** Path of the bundled DejaVu Sans (package root `assets/fonts/`, the same from `src/` in tests and `dist/` when built). */
export function fontPath(): string {
  return fileURLToPath(new URL('../assets/fonts/DejaVuSans.ttf', import.meta.url))
}

function ensureFont(): void {
  if (fontLoaded) return
  const path = fontPath()
  if (!existsSync(path)) {
    throw new MnistEvalError('EVAL_REPORT_WRITE', `bundled font missing: expected ${path} (reinstall @mnist/eval)`)
  }
  PImage.registerFont(path, FONT_FAMILY).loadSync()
  fontLoaded = true
}

export function createCanvas(width: number, height: number, background = '#ffffff'): { bitmap: Bitmap; ctx: Context } {
  ensureFont()
  const bitmap = PImage.make(Math.round(width), Math.round(height))
  const ctx = bitmap.getContext('2d')
  ctx.fillStyle = background
  ctx.fillRect(0, 0, bitmap.width, bitmap.height)
  return { bitmap, ctx }
}

export interface TextStyle {
  size?: number
  color?: string
  align?: 'left' | 'center' | 'right'
  /** `middle`: y is the vertical centre of digits/capitals; `top`: their top; `baseline`: the baseline. */
  valign?: 'middle' | 'top' | 'baseline'
}

export function drawText(ctx: Context, text: string, x: number, y: number, style: TextStyle = {}): void {
  const size = style.size ?? 12
  ctx.font = `${size}px ${FONT_FAMILY}`
  ctx.fillStyle = style.color ?? '#222222'
  ctx.textAlign = style.align ?? 'left'
  ctx.textBaseline = 'alphabetic'
  const cap = size * CAP_HEIGHT
  const valign = style.valign ?? 'baseline'
  const baseline = valign === 'middle' ? y + cap / 2 : valign === 'top' ? y + cap : y
  ctx.fillText(text, x, baseline)
}

export function textWidth(ctx: Context, text: string, size: number): number {
  ctx.font = `${size}px ${FONT_FAMILY}`
  return ctx.measureText(text).width
}

export function line(ctx: Context, x0: number, y0: number, x1: number, y1: number, color: string, width = 1): void {
  ctx.strokeStyle = color
  ctx.lineWidth = width
  ctx.beginPath()
  ctx.moveTo(x0, y0)
  ctx.lineTo(x1, y1)
  ctx.stroke()
}

/** Pixel-exact rectangle written straight into the RGBA buffer (pureimage's fillRect blends edges at .5 offsets). */
export function rect(
  bitmap: Bitmap,
  x: number,
  y: number,
  w: number,
  h: number,
  rgb: readonly [number, number, number],
): void {
  const x0 = Math.max(0, Math.round(x))
  const y0 = Math.max(0, Math.round(y))
  const x1 = Math.min(bitmap.width, Math.round(x + w))
  const y1 = Math.min(bitmap.height, Math.round(y + h))
  const data = bitmap.data
  for (let yy = y0; yy < y1; yy++) {
    for (let xx = x0; xx < x1; xx++) {
      const i = (yy * bitmap.width + xx) * 4
      data[i] = rgb[0]
      data[i + 1] = rgb[1]
      data[i + 2] = rgb[2]
      data[i + 3] = 255
    }
  }
}

/** Encodes an RGBA bitmap as an 8-bit RGB PNG (no alpha: every picture here is opaque). */
export function encodeBitmap(bitmap: Bitmap): Uint8Array {
  const png = new PNG({
    width: bitmap.width,
    height: bitmap.height,
    colorType: 2,
    inputColorType: 6,
    inputHasAlpha: true,
  })
  png.data = Buffer.from(bitmap.data.buffer, bitmap.data.byteOffset, bitmap.data.byteLength)
  const buffer = PNG.sync.write(png, { colorType: 2, inputColorType: 6, inputHasAlpha: true })
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}
