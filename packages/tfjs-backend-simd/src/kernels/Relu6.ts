import { unaryConfig } from './_elementwise'
export const relu6Config = unaryConfig('Relu6')
