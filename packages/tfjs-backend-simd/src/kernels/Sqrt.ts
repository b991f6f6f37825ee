import { unaryConfig } from './_elementwise'
export const sqrtConfig = unaryConfig('Sqrt')
