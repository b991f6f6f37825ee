import { unaryConfig } from './_elementwise'
export const rsqrtConfig = unaryConfig('Rsqrt')
