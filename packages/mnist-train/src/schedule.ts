import { InvalidTrainConfigError } from './errors'

export interface OneCycleOptions {
  /** Peak learning rate (PyTorch `max_lr`). */
  maxLr: number
  /** Total optimiser steps of the whole run (epochs x batches per epoch). */
  totalSteps: number
  /** Fraction of the steps spent warming up (PyTorch `pct_start`, default 0.3 there). */
  pctStart: number
  /** First lr = maxLr / divFactor (PyTorch default 25). */
  divFactor: number
  /** Last lr = first lr / finalDivFactor (PyTorch default 1e4). */
  finalDivFactor: number
  /** `'cos'` (PyTorch default) or `'linear'`. */
  annealStrategy: 'cos' | 'linear'
  /** Cycle Adam's beta1 inversely to the lr, between baseMomentum and maxMomentum (PyTorch default true). */
  cycleMomentum: boolean
  /** Lowest beta1, reached at the lr peak (PyTorch default 0.85). */
  baseMomentum: number
  /** Highest beta1, at the start and the end (PyTorch default 0.95). */
  maxMomentum: number
}

export interface ScheduleValue {
  learningRate: number
  /** Adam's beta1 for this step; `undefined` when momentum is not cycled (keep the optimiser's own). */
  beta1: number | undefined
}

/**
 * PyTorch's `torch.optim.lr_scheduler.OneCycleLR` (two phases, `three_phase=False`) as a pure function of the step.
 * Step `k` (0-based) is the value the optimiser uses for its (k+1)-th update, exactly as in PyTorch where the
 * scheduler is stepped after each `optimizer.step()`.
 */
export function oneCycle(step: number, options: OneCycleOptions): ScheduleValue {
  const { maxLr, totalSteps, pctStart, divFactor, finalDivFactor, annealStrategy, cycleMomentum } = options
  if (!Number.isInteger(step) || step < 0 || step >= totalSteps) {
    throw new InvalidTrainConfigError('step', `an integer in [0, ${totalSteps - 1}] (totalSteps ${totalSteps})`, step)
  }
  const initialLr = maxLr / divFactor
  const minLr = initialLr / finalDivFactor
  const anneal = annealStrategy === 'cos' ? annealCos : annealLinear
  // PyTorch keeps these as floats: phase 1 ends at pct_start * total - 1, phase 2 at total - 1.
  const phases = [
    { end: pctStart * totalSteps - 1, lr: [initialLr, maxLr], mom: [options.maxMomentum, options.baseMomentum] },
    { end: totalSteps - 1, lr: [maxLr, minLr], mom: [options.baseMomentum, options.maxMomentum] },
  ] as const
  // Phase 2 once phase 1's end is passed; phase 2 starts where phase 1 ends.
  const second = step > phases[0].end
  const phase = second ? phases[1] : phases[0]
  const start = second ? phases[0].end : 0
  // PyTorch divides by zero here when a phase is a single step; treat that step as the phase's end.
  const span = phase.end - start
  const pct = span > 0 ? (step - start) / span : 1
  return {
    learningRate: anneal(phase.lr[0], phase.lr[1], pct),
    beta1: cycleMomentum ? anneal(phase.mom[0], phase.mom[1], pct) : undefined,
  }
}

function annealCos(start: number, end: number, pct: number): number {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1)
}

function annealLinear(start: number, end: number, pct: number): number {
  return (end - start) * pct + start
}
