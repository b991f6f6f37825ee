import { unaryConfig } from './_elementwise'
export const reciprocalConfig = unaryConfig('Reciprocal')
