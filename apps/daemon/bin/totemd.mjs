#!/usr/bin/env node
// totemd: runs src/main.ts in a source checkout, dist/main.js when installed (@totem-ts/common/launch).
import { launch } from '@totem-ts/common/launch'

await launch(import.meta.url, { name: 'totemd', kind: 'service' })
