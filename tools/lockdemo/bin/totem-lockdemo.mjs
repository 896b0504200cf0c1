#!/usr/bin/env node
// totem-lockdemo: runs src/main.ts in a source checkout, dist/main.js when installed (@totem-ts/common/launch).
import { launch } from '@totem-ts/common/launch'

await launch(import.meta.url, { name: 'totem-lockdemo' })
