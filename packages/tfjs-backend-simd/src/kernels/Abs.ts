import { unaryConfig } from './_elementwise'
export const absConfig = unaryConfig('Abs')
