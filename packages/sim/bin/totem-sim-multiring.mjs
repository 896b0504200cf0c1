#!/usr/bin/env node
// totem-sim-multiring: runs src/multiring-main.ts in a source checkout, dist/multiring-main.js when installed (@totem-ts/common/launch).
import { launch } from '@totem-ts/common/launch'

await launch(import.meta.url, { name: 'totem-sim-multiring', entry: 'multiring-main' })
