import { unaryConfig } from './_elementwise'
export const reluConfig = unaryConfig('Relu')
