import { unaryConfig } from './_elementwise'
export const leakyReluConfig = unaryConfig('LeakyRelu', 'alpha')
