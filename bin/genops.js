#!/usr/bin/env node
// The installed `genops` command: the CLI as built by `npm run build` (electron-vite).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const cli = fileURLToPath(new URL('../out/main/cli.js', import.meta.url))
if (!existsSync(cli)) {
  console.error('genops: the CLI is not built yet: run `npm run build` in the GenOps folder (or use `npm run genops -- ...`)')
  process.exit(1)
}
await import(cli)
