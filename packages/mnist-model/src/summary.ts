import type { LayersModel } from '@tensorflow/tfjs-layers'
import { PARAM_BUDGET } from './config'

export interface LayerSummary {
  name: string
  /** tfjs class name (Conv2D, BatchNormalization, ...). */
  type: string
  /** Output shape with -1 for the batch dimension, like torchsummary. */
  outputShape: number[]
  /** Trainable parameters (PyTorch's "Param #"; BatchNorm: gamma + beta). */
  params: number
  /** Non-trainable weights (BatchNorm moving mean + variance). */
  nonTrainableParams: number
}

export interface ModelSummary {
  layers: LayerSummary[]
  /** All weights: trainable + non-trainable. */
  total: number
  trainable: number
  nonTrainable: number
  budget: number
}

const size = (shape: readonly (number | null)[]): number => shape.reduce<number>((a, b) => a * (b ?? 1), 1)

/** Per-layer output shapes and parameter counts of a model, plus totals and the budget. */
export function summary(model: LayersModel, budget: number = PARAM_BUDGET): ModelSummary {
  const layers: LayerSummary[] = model.layers
    .filter((l) => l.getClassName() !== 'InputLayer')
    .map((l) => {
      const raw = l.outputShape
      const shape = (
        Array.isArray(raw[0]) || raw[0] === undefined ? ((raw[0] as (number | null)[] | undefined) ?? []) : raw
      ) as (number | null)[]
      return {
        name: l.name,
        type: l.getClassName(),
        outputShape: shape.map((d) => d ?? -1),
        params: l.trainableWeights.reduce((s, w) => s + size(w.shape), 0),
        nonTrainableParams: l.nonTrainableWeights.reduce((s, w) => s + size(w.shape), 0),
      }
    })
  const trainable = layers.reduce((s, l) => s + l.params, 0)
  const nonTrainable = layers.reduce((s, l) => s + l.nonTrainableParams, 0)
  return { layers, total: trainable + nonTrainable, trainable, nonTrainable, budget }
}

const n = (v: number): string => v.toLocaleString('en-US')

/** A torchsummary-style table of a `ModelSummary`. */
export function formatSummary(s: ModelSummary): string {
  const rows = s.layers.map((l) => [`${l.name} (${l.type})`, `[${l.outputShape.join(', ')}]`, n(l.params)])
  const w0 = Math.max(20, ...rows.map((r) => r[0]!.length))
  const w1 = Math.max(20, ...rows.map((r) => r[1]!.length))
  const w2 = Math.max(10, ...rows.map((r) => r[2]!.length))
  const width = w0 + w1 + w2 + 6
  const line = (c: string): string => c.repeat(width)
  const row = (a: string, b: string, c: string): string => `${a.padStart(w0)}  ${b.padStart(w1)}  ${c.padStart(w2 + 2)}`
  const left = s.budget - s.trainable
  const pct = ((100 * s.trainable) / s.budget).toFixed(1)
  return [
    line('-'),
    row('Layer (type)', 'Output Shape', 'Param #'),
    line('='),
    ...rows.map((r) => row(r[0]!, r[1]!, r[2]!)),
    line('='),
    `Total params: ${n(s.total)}`,
    `Trainable params: ${n(s.trainable)}`,
    `Non-trainable params: ${n(s.nonTrainable)}`,
    `Budget: ${n(s.trainable)} / ${n(s.budget)} trainable (${pct} %, ${left > 0 ? `${n(left)} left` : `${n(1 - left)} over`})`,
    line('-'),
  ].join('\n')
}
