/** A bundle opened the way its reader opens it: the standard `unzip` command, not the library that wrote it. */
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { expect } from 'vitest'
import type { Manifest } from '../../src/main/diagnostics/bundle-writer'
import { tempDir } from '../support/temp'

export const hasUnzip = !spawnSync('unzip', ['-v'], { encoding: 'utf8' }).error
if (!hasUnzip) console.warn('test/diagnostics: skipped, the `unzip` command is not installed (apt-get install unzip)')

/** Tests the zip's checksums with `unzip -t`, extracts it, and returns every file by its path in the zip. */
export function unzip(zip: string): Map<string, Buffer> {
  const tested = spawnSync('unzip', ['-t', zip], { encoding: 'utf8' })
  expect(tested.status, tested.stdout + tested.stderr).toBe(0)
  expect(tested.stdout).toContain('No errors detected')
  const dir = tempDir('genops-bundle-')
  const extracted = spawnSync('unzip', ['-q', zip, '-d', dir], { encoding: 'utf8' })
  expect(extracted.status, extracted.stderr).toBe(0)
  const files = new Map<string, Buffer>()
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    files.set(relative(dir, path).split('\\').join('/'), readFileSync(path))
  }
  return files
}

export const manifestOf = (files: Map<string, Buffer>): Manifest => JSON.parse(files.get('manifest.json')!.toString('utf8')) as Manifest
export const jsonOf = <T>(files: Map<string, Buffer>, name: string): T => JSON.parse(files.get(name)!.toString('utf8')) as T
