import { unaryConfig } from './_elementwise'
// Step(x) = x > 0 ? 1 : alpha; ReLU's gradient is dy * Step(x).
export const stepConfig = unaryConfig('Step', 'alpha')
