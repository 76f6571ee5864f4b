/**
 * The version of GenOps, for genops_build_info: read from package.json, found by walking up
 * from this file, since the code runs from src/main/telemetry (source) and from out/main
 * (the build, the packaged app) at different depths.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let version: string | undefined

export function genopsVersion(): string {
  if (version !== undefined) return version
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    try {
      const found = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown }
      if (found.name === 'genops' && typeof found.version === 'string') return (version = found.version)
    } catch {
      // No package.json here, or not ours: look further up.
    }
    const parent = dirname(dir)
    if (parent === dir) return (version = 'unknown')
    dir = parent
  }
}
