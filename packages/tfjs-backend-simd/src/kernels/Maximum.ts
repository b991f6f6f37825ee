import { binaryConfig } from './_elementwise'
export const maximumConfig = binaryConfig('Maximum')
