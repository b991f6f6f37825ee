import { unaryConfig } from './_elementwise'
export const negConfig = unaryConfig('Neg')
