// Fault injection for decodePng: a small file declaring a huge image is refused from its header, before pngjs
// allocates width * height * 4 bytes for it.
import { describe, expect, it } from 'vitest'
import { ImageDecodeError, ImageTooLargeError, InvalidOptionError } from '../../src/errors'
import { DEFAULT_MAX_PIXELS, decodePng } from '../../src/png'
import { blankPng } from '../png-fixtures'

describe('decodePng size limits', () => {
  it('a ~390 KB PNG declaring 20000x20000 pixels: ImageTooLargeError naming the file, fast, small', async () => {
    const bytes = await blankPng(20_000, 20_000)
    expect(bytes.length).toBeLessThan(500_000)
    const rssBefore = process.memoryUsage().rss
    const start = Date.now()
    let err: unknown
    try {
      decodePng(bytes, { file: 'huge.png' })
    } catch (e) {
      err = e
    }
    expect(Date.now() - start).toBeLessThan(1_000)
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(50 * 1024 ** 2)
    expect(err).toBeInstanceOf(ImageTooLargeError)
    const e = err as ImageTooLargeError
    expect(e.code).toBe('EVAL_IMAGE_TOO_LARGE')
    expect(e.message).toBe(
      '[@mnist/eval] huge.png: the PNG declares 20000x20000 = 400000000 pixels; the limit is 16777216 (maxPixels)',
    )
    expect([e.file, e.width, e.height, e.maxPixels]).toEqual(['huge.png', 20_000, 20_000, DEFAULT_MAX_PIXELS])
  }, 30_000)

  it('maxPixels is an option: a 100x100 image passes a limit of 10000 pixels, not one of 9999', async () => {
    const small = await blankPng(100, 100)
    expect(decodePng(small, { file: 'a.png', maxPixels: 10_000 }).width).toBe(100)
    expect(() => decodePng(small, { file: 'a.png', maxPixels: 9_999 })).toThrow(ImageTooLargeError)
    expect(() => decodePng(small, { maxPixels: 0 })).toThrow(InvalidOptionError)
    expect(() => decodePng(small, { maxPixels: 1.5 })).toThrow(
      /option "maxPixels": expected a positive integer, found 1.5/,
    )
  })

  it('widths that overflow 32-bit products and a missing IHDR are refused, not wrapped around', async () => {
    const bytes = await blankPng(1, 1)
    const patched = bytes.slice()
    new DataView(patched.buffer).setUint32(16, 0xffffffff)
    new DataView(patched.buffer).setUint32(20, 0xffffffff)
    expect(() => decodePng(patched, { file: 'wide.png' })).toThrow(/wide\.png: the PNG declares 4294967295x4294967295/)
    const noIhdr = bytes.slice()
    noIhdr.set([0x49, 0x44, 0x41, 0x54], 12)
    expect(() => decodePng(noIhdr, { file: 'x.png' })).toThrow(ImageDecodeError)
    expect(() => decodePng(noIhdr, { file: 'x.png' })).toThrow(
      /x\.png: corrupt PNG: expected the IHDR chunk first, found "IDAT"/,
    )
  })
})
