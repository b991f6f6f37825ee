#!/usr/bin/env node
import { runMain } from './main'

void runMain(process.argv)
