import type { LoadedModel } from '@mnist/model'
import { CliError } from '../errors'

/**
 * `predict` and `eval` classify 28x28 grayscale digits into 10 classes: a model saved for other inputs or classes
 * would fail deep inside tfjs, so say what was expected and what the model in `where` has.
 */
export function checkDigitModel(model: LoadedModel['model'], where: string): void {
  const shapes = (ts: readonly { shape: readonly (number | null)[] }[]): string =>
    ts.map((t) => `[${t.shape.map((d) => d ?? 'null').join(', ')}]`).join(' and ')
  const input = model.inputs.length === 1 ? model.inputs[0]!.shape : []
  const output = model.outputs.length === 1 ? model.outputs[0]!.shape : []
  const inputOk = input.length === 4 && [28, 28, 1].every((d, i) => input[i + 1] === null || input[i + 1] === d)
  const outputOk = output.length === 2 && output[1] === 10
  if (inputOk && outputOk) return
  throw new CliError(
    'CLI_BAD_INPUT',
    `${where}: expected a digit classifier with input [null, 28, 28, 1] and 10 output classes, ` +
      `found input ${shapes(model.inputs)} and output ${shapes(model.outputs)}`,
  )
}
