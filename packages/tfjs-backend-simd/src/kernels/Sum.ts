import { reduceConfig } from './_reduce'
export const sumConfig = reduceConfig('Sum')
