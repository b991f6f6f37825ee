import { unaryConfig } from './_elementwise'
export const squareConfig = unaryConfig('Square')
