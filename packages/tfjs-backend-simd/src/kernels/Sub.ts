import { binaryConfig } from './_elementwise'
export const subConfig = binaryConfig('Sub')
