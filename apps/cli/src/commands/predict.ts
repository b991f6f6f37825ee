import { constants, open } from 'node:fs/promises'
import { decodePng } from '@mnist/eval'
import { loadModel, loadPretrained, predict, preprocessImage, type LoadedModel } from '@mnist/model'
import { selectBackend, type BackendRequest } from '@mnist/backends'
import type { Command } from 'commander'
import { CliError } from '../errors'
import { backendOption } from '../flags'
import { checkDigitModel } from './model-check'

/** Largest image file read (64 MiB): a 4096 x 4096 RGBA PNG, the largest image decodePng accepts, fits. */
export const MAX_IMAGE_BYTES = 64 * 1024 * 1024

interface PredictFlags {
  model?: string
  pretrained?: boolean
  backend: BackendRequest
  json?: boolean
}

/** `mnist predict`: decodes PNGs of any size and colour type, converts them to MNIST form and classifies them. */
export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description(
      'classify handwritten digits in PNG files (any size or colour type; converted to the MNIST convention)',
    )
    .argument('<images...>', 'PNG files')
    .option('--model <dir>', 'model folder (model.json + weights.bin), e.g. one written by "mnist train"')
    .option('--pretrained', 'use the weights shipped with @mnist/model')
    .addOption(backendOption())
    .option('--json', 'print one JSON object on stdout')
    .action(async (images: string[], flags: PredictFlags) => {
      if ((flags.model === undefined) === !flags.pretrained) {
        throw badInput(
          flags.pretrained
            ? 'use either --model <dir> or --pretrained, not both'
            : 'missing the model: pass --model <dir> (a folder with model.json) or --pretrained',
        )
      }
      // Read and convert every file first: a bad file fails fast, before the model is loaded.
      const inputs: { file: string; pixels: Uint8Array }[] = []
      for (const file of images) inputs.push({ file, pixels: await readDigit(file) })

      await selectBackend(flags.backend)
      const loaded: LoadedModel = flags.pretrained ? await loadPretrained() : await loadModel(flags.model!)
      try {
        checkDigitModel(loaded.model, flags.pretrained ? 'the pretrained model' : `model ${flags.model}`)
        const predictions = predict(
          loaded.model,
          inputs.map((i) => i.pixels),
          loaded.metadata ? { normalization: loaded.metadata.normalization } : {},
        )
        const rows = predictions.map((p, k) => ({
          file: inputs[k]!.file,
          digit: p.digit,
          confidence: p.probabilities[p.digit]!,
          probabilities: p.probabilities,
        }))
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ predictions: rows })}\n`)
        } else {
          for (const r of rows)
            process.stdout.write(`${r.file}: ${r.digit} (confidence ${(r.confidence * 100).toFixed(1)}%)\n`)
        }
      } finally {
        loaded.model.dispose()
      }
    })
}

async function readDigit(file: string): Promise<Uint8Array> {
  const bytes = await readImageFile(file)
  // decodePng's errors already name the file; it refuses images above its pixel limit before decoding them.
  const image = decodePng(bytes, { file })
  try {
    return preprocessImage(image)
  } catch (error) {
    throw badInput(`${file}: ${error instanceof Error ? error.message : String(error)}`)
  }
}

/**
 * The bytes of a regular file of at most MAX_IMAGE_BYTES. Opened with O_NONBLOCK and checked with fstat, so a FIFO
 * (which would block forever) or a device such as /dev/zero (which never ends) is refused instead of read.
 */
async function readImageFile(file: string): Promise<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code ?? error)
    throw badInput(`cannot read image ${file}: ${why}`)
  }
  try {
    const stat = await handle.stat()
    if (stat.isDirectory()) throw badInput(`cannot read image ${file}: is a folder, expected a PNG file`)
    if (!stat.isFile()) {
      throw badInput(`cannot read image ${file}: not a regular file (a pipe or a device?), expected a PNG file`)
    }
    if (stat.size > MAX_IMAGE_BYTES) {
      const limit = `the limit is ${MAX_IMAGE_BYTES} bytes (64 MiB) per image`
      throw badInput(`cannot read image ${file}: ${stat.size} bytes; ${limit}`)
    }
    // One byte more than fstat said, so a file that grows meanwhile is caught rather than read without end.
    const buffer = new Uint8Array(stat.size + 1)
    let got = 0
    for (;;) {
      const { bytesRead } = await handle.read(buffer, got, buffer.length - got, got)
      if (bytesRead === 0) break
      got += bytesRead
      if (got === buffer.length) throw badInput(`cannot read image ${file}: it grew while being read`)
    }
    return buffer.subarray(0, got)
  } catch (error) {
    if (error instanceof CliError) throw error
    throw badInput(`cannot read image ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`)
  } finally {
    await handle.close().catch(() => undefined)
  }
}

/** A problem the user can fix (a flag or a file), printed as one line with exit code 1. */
function badInput(message: string): CliError {
  return new CliError('CLI_BAD_INPUT', message)
}
