#!/usr/bin/env node
// totem-interop-client: runs src/client-main.ts in a source checkout, dist/client-main.js when installed
// (@totem-ts/common/launch). A client: the suite stops it with SIGTERM, and a SIGKILL of this
// launcher ends it too (it watches its IPC channel).
import { launch } from '@totem-ts/common/launch'

await launch(import.meta.url, {
  name: 'totem-interop-client',
  entry: 'client-main',
  kind: 'client',
})
