import { binaryConfig } from './_elementwise'
export const realDivConfig = binaryConfig('RealDiv')
