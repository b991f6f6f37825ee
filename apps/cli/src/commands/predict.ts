import { readFile } from 'node:fs/promises'
import { decodePng } from '@mnist/eval'
import { loadModel, loadPretrained, predict, preprocessImage, type LoadedModel } from '@mnist/model'
import { selectBackend, type BackendRequest } from '@mnist/backends'
import type { Command } from 'commander'
import { CliError } from '../errors'
import { backendOption } from '../flags'

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
    .description('classify handwritten digits in PNG files (any size or colour type; converted to the MNIST convention)')
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
          for (const r of rows) process.stdout.write(`${r.file}: ${r.digit} (confidence ${(r.confidence * 100).toFixed(1)}%)\n`)
        }
      } finally {
        loaded.model.dispose()
      }
    })
}

async function readDigit(file: string): Promise<Uint8Array> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, expected a PNG file' : code === 'EACCES' ? 'permission denied' : String(code ?? error)
    throw badInput(`cannot read image ${file}: ${why}`)
  }
  // decodePng's errors already name the file.
  const image = decodePng(bytes, { file })
  try {
    return preprocessImage(image)
  } catch (error) {
    throw badInput(`${file}: ${error instanceof Error ? error.message : String(error)}`)
  }
}

/** A problem the user can fix (a flag or a file), printed as one line with exit code 1. */
function badInput(message: string): CliError {
  return new CliError('CLI_BAD_INPUT', message)
}
