// Fault injection for `mnist predict` and `mnist eval`: hostile images and damaged model folders end in one line
// naming the file, a non-zero exit and no stack trace, within seconds and well under 600 MB of memory.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createDeflate } from 'node:zlib'
import { encodePng } from '@mnist/eval'
import { createMetadata, createModel, saveModel } from '@mnist/model'
import { selectBackend } from '@mnist/backends'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bin, runCli, type CliResult } from '../run-cli'

let work: string
let goodModel: string
let digit: string
let rssHook: string
let n = 0

beforeAll(async () => {
  expect(existsSync(bin), `${bin} is missing: build the CLI first`).toBe(true)
  work = mkdtempSync(resolve(tmpdir(), 'mnist-cli-faults-'))
  await selectBackend('cpu')
  const model = createModel({ seed: 11 })
  goodModel = join(work, 'good')
  await saveModel(model, goodModel, createMetadata(model, { dataset: 'mnist', epochs: 0 }))
  model.dispose()
  const px = new Uint8Array(28 * 28)
  for (let r = 6; r < 22; r++) px[r * 28 + 13] = px[r * 28 + 14] = 255
  digit = join(work, 'one.png')
  writeFileSync(digit, encodePng({ data: px, width: 28, height: 28, channels: 1 }))
  // Peak RSS of the child itself (process.resourceUsage().maxRSS, in KiB), written where the test can read it.
  rssHook = join(work, 'rss-hook.cjs')
  writeFileSync(
    rssHook,
    "process.on('exit', () =>\n" +
      "  require('fs').writeFileSync(process.env.RSS_OUT, String(process.resourceUsage().maxRSS)))\n",
  )
}, 60_000)
afterAll(() => {
  rmSync(work, { recursive: true, force: true })
})

/** A copy of the good model folder to damage. */
function copyModel(): string {
  const d = join(work, `m${n++}`)
  execFileSync('cp', ['-r', goodModel, d])
  return d
}

/** Exit 1 (or `code`), stderr exactly one line `error: ...` containing `needle`, nothing on stdout, within `ms`. */
function expectOneLineError(r: CliResult & { ms: number }, needle: string, ms = 30_000): void {
  expect(r.code, r.stderr).toBe(1)
  expect(r.stdout).toBe('')
  expect(r.stderr.endsWith('\n')).toBe(true)
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1)
  expect(r.stderr).toMatch(/^error: /)
  expect(r.stderr).toContain(needle)
  expect(r.ms).toBeLessThan(ms)
}

function mnist(args: string[]): CliResult & { ms: number } {
  const start = Date.now()
  const r = runCli(args, {}, 60_000)
  return { ...r, ms: Date.now() - start }
}

/** A valid 8-bit grayscale PNG of width x height black pixels, deflated as a stream (~390 KB for 20000 x 20000). */
async function blankPng(width: number, height: number): Promise<Buffer> {
  const crcTable = Array.from({ length: 256 }, (_, k) => {
    let c = k
    for (let i = 0; i < 8; i++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    return c >>> 0
  })
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
    let c = 0xffffffff
    for (const b of body) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8)
    const out = Buffer.alloc(12 + data.length)
    out.writeUInt32BE(data.length, 0)
    body.copy(out, 4)
    out.writeUInt32BE((c ^ 0xffffffff) >>> 0, 8 + data.length)
    return out
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8
  const deflate = createDeflate({ level: 9 })
  const parts: Buffer[] = []
  deflate.on('data', (b: Buffer) => parts.push(b))
  const done = new Promise((r) => deflate.on('end', r))
  const row = Buffer.alloc(width + 1)
  for (let y = 0; y < height; y++) if (!deflate.write(row)) await new Promise((r) => deflate.once('drain', r))
  deflate.end()
  await done
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', Buffer.concat(parts)), chunk('IEND', Buffer.alloc(0))])
}

describe('mnist predict: hostile images', () => {
  it('a ~390 KB PNG declaring 20000x20000 pixels: refused from its header, peak RSS far below 600 MB', async () => {
    const huge = join(work, 'huge.png')
    writeFileSync(huge, await blankPng(20_000, 20_000))
    const rssOut = join(work, 'rss.txt')
    const start = Date.now()
    const r = runCli(['predict', '--model', goodModel, '--backend', 'cpu', huge], {
      NODE_OPTIONS: `--require ${rssHook}`,
      RSS_OUT: rssOut,
    })
    expectOneLineError(
      { ...r, ms: Date.now() - start },
      `${huge}: the PNG declares 20000x20000 = 400000000 pixels; the limit is 16777216`,
    )
    const peakMiB = Number(readFileSync(rssOut, 'utf8')) / 1024
    expect(peakMiB).toBeGreaterThan(10)
    expect(peakMiB).toBeLessThan(600)
  }, 60_000)

  it('a FIFO or /dev/zero as the image: refused at once instead of hanging or reading forever', () => {
    const fifo = join(work, 'pipe.png')
    execFileSync('mkfifo', [fifo])
    expectOneLineError(
      mnist(['predict', '--model', goodModel, '--backend', 'cpu', fifo]),
      `cannot read image ${fifo}: not a regular file`,
    )
    const zero = join(work, 'zero.png')
    symlinkSync('/dev/zero', zero)
    expectOneLineError(
      mnist(['predict', '--model', goodModel, '--backend', 'cpu', zero]),
      `cannot read image ${zero}: not a regular file`,
    )
  }, 60_000)
})

describe('mnist predict / eval: damaged model folders', () => {
  it('weights.bin as a FIFO or a link to /dev/zero: refused, naming the file', () => {
    const d = copyModel()
    unlinkSync(join(d, 'weights.bin'))
    execFileSync('mkfifo', [join(d, 'weights.bin')])
    expectOneLineError(
      mnist(['predict', '--model', d, '--backend', 'cpu', digit]),
      `${join(d, 'weights.bin')}: expected a regular file, found a FIFO`,
    )
    unlinkSync(join(d, 'weights.bin'))
    symlinkSync('/dev/zero', join(d, 'weights.bin'))
    expectOneLineError(
      mnist(['eval', '--model', d, '--backend', 'cpu', '--no-noise']),
      `${join(d, 'weights.bin')}: expected a regular file, found a character device`,
    )
  }, 60_000)

  it('a bit flip in weights.bin: checksum mismatch naming the file (predict and eval)', () => {
    const d = copyModel()
    const bytes = readFileSync(join(d, 'weights.bin'))
    bytes[5000] ^= 0x04
    writeFileSync(join(d, 'weights.bin'), bytes)
    for (const args of [
      ['predict', '--model', d, '--backend', 'cpu', digit],
      ['eval', '--model', d, '--backend', 'cpu', '--no-noise'],
    ]) {
      expectOneLineError(mnist(args), `${join(d, 'weights.bin')}: SHA-256 `)
    }
  }, 60_000)

  it('NaN in the weights of a model saved without a checksum: refused, no "confidence NaN%"', () => {
    const d = copyModel()
    for (const f of ['model.json', 'metadata.json']) {
      const text = readFileSync(join(d, f), 'utf8').replace(/,\s*"weightsSha256":\s*"[0-9a-f]{64}"/, '')
      writeFileSync(join(d, f), text)
    }
    const bytes = readFileSync(join(d, 'weights.bin'))
    bytes.writeFloatLE(NaN, 0)
    writeFileSync(join(d, 'weights.bin'), bytes)
    expectOneLineError(
      mnist(['predict', '--model', d, '--backend', 'cpu', digit]),
      `${join(d, 'weights.bin')}: weight conv1/kernel[0] is NaN`,
    )
  }, 60_000)

  it('metadata with std 0: refused at load naming metadata.json (was NaN output and exit 0)', () => {
    const d = copyModel()
    for (const f of ['model.json', 'metadata.json']) {
      writeFileSync(join(d, f), readFileSync(join(d, f), 'utf8').replace(/"std":\s*0\.3081/, '"std": 0'))
    }
    expectOneLineError(
      mnist(['predict', '--model', d, '--backend', 'cpu', digit]),
      `${join(d, 'metadata.json')}: metadata field normalization.std: expected a finite number > 0`,
    )
  }, 60_000)

  it('a model of another architecture: expected vs found shapes, naming the model folder', () => {
    const d = join(work, 'other')
    execFileSync('mkdir', [d])
    const dense = {
      class_name: 'Dense',
      config: {
        units: 10,
        activation: 'linear',
        use_bias: true,
        name: 'd',
        batch_input_shape: [null, 32],
        dtype: 'float32',
      },
    }
    writeFileSync(
      join(d, 'model.json'),
      JSON.stringify({
        format: 'layers-model',
        modelTopology: {
          class_name: 'Sequential',
          config: { name: 'other', layers: [dense] },
          keras_version: 'tfjs-layers 4.22.0',
          backend: 'tensor_flow.js',
        },
        weightsManifest: [
          {
            paths: ['weights.bin'],
            weights: [
              { name: 'd/kernel', shape: [32, 10], dtype: 'float32' },
              { name: 'd/bias', shape: [10], dtype: 'float32' },
            ],
          },
        ],
      }),
    )
    writeFileSync(join(d, 'weights.bin'), new Uint8Array(330 * 4))
    const want =
      `model ${d}: expected a digit classifier with input [null, 28, 28, 1] and 10 output classes, ` +
      'found input [null, 32] and output [null, 10]'
    expectOneLineError(mnist(['predict', '--model', d, '--backend', 'cpu', digit]), want)
    expectOneLineError(mnist(['eval', '--model', d, '--backend', 'cpu', '--no-noise']), want)
  }, 60_000)
})
