#!/usr/bin/env node
// totem-demo: runs src/demo-main.ts in a source checkout, dist/demo-main.js when installed (@totem-ts/common/launch).
import { launch } from '@totem-ts/common/launch'

await launch(import.meta.url, { name: 'totem-demo', entry: 'demo-main' })
