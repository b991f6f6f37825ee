import { binaryConfig } from './_elementwise'
export const multiplyConfig = binaryConfig('Multiply')
