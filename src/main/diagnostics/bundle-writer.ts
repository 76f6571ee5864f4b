/**
 * Writes a diagnostic bundle: one zip of the files the sections collected, each scrubbed
 * of secrets and bounded in size, plus manifest.json listing every other file with its
 * size and sha256, what was cut, and what could not be collected. A section that fails
 * costs its own files only: the bundle is still written with the rest.
 *
 * The zip is written under a temporary name beside its final one and renamed when it is
 * complete, so a crash or a full disk never leaves a half-written zip that looks finished.
 */
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rename, stat, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { ZipFile } from 'yazl'
import type { DiagnosticBundle } from '../../shared/diagnostics'
import { formatBytes } from '../health/checks'
import { partialPathFor } from '../partial-files'
import type { Scrubber } from './scrub'

/** What a file of a bundle holds before it is scrubbed: JSON made from a value, or text; and why it is short, when it is. */
export type SectionContent = { truncated?: string } & ({ json: unknown } | { text: string })
export type SectionFile = { name: string } & SectionContent

/** A part of the bundle (system.json, logs/...): collects its own files within its own bounds. */
export interface BundleSection {
  /** How problems and the manifest name it: its file, or its folder. */
  name: string
  collect(): Promise<SectionFile[]>
}

export interface BundleLimits {
  /** Most bytes of one file; a longer one is cut and the cut noted. Default 4 MiB. */
  maxFileBytes: number
  /** Most bytes of all files together, before compression; what does not fit is cut or left out, and noted. Default 20 MiB. */
  maxTotalBytes: number
}

export const DEFAULT_BUNDLE_LIMITS: BundleLimits = { maxFileBytes: 4 * 1024 * 1024, maxTotalBytes: 20 * 1024 * 1024 }

export interface ManifestEntry {
  name: string
  bytes: number
  sha256: string
  /** Why the file holds less than there was, when it does. */
  truncated?: string
}

export interface Manifest {
  createdAt: string
  genopsVersion: string
  limits: BundleLimits
  files: ManifestEntry[]
  problems: string[]
}

export interface BundleRequest {
  /** The zip's final path. */
  file: string
  sections: readonly BundleSection[]
  scrub: Scrubber
  genopsVersion: string
  now?: Date
  limits?: BundleLimits
}

/** Where a data directory's bundles go, and are served from (GET /api/bundles/<file> in headless mode). */
export const bundlesDir = (dataDir: string): string => join(dataDir, 'bundles')

/** Where a bundle made at `now` goes in a data directory: a UTC timestamp down to the millisecond, sortable by name. */
export function bundleFile(dataDir: string, now = new Date()): string {
  return join(bundlesDir(dataDir), `genops-bundle-${now.toISOString().replace(/[:.]/g, '-')}.zip`)
}

export async function writeBundle(request: BundleRequest): Promise<DiagnosticBundle> {
  const { scrub, limits = DEFAULT_BUNDLE_LIMITS, now = new Date() } = request
  const files: (ManifestEntry & { content: Buffer })[] = []
  const problems: string[] = []
  let total = 0
  // One section at a time: each bounds its own memory, and the health and integrity
  // checks are not made to race the reads of the other sections.
  for (const section of request.sections) {
    let collected: SectionFile[]
    try {
      collected = await section.collect()
    } catch (error) {
      problems.push(`${section.name}: ${scrub.text(error instanceof Error ? error.message : String(error))}`)
      continue
    }
    for (const file of collected) {
      const whole = Buffer.from('json' in file ? scrub.json(file.json) : scrub.text(file.text), 'utf8')
      const room = Math.min(limits.maxFileBytes, limits.maxTotalBytes - total)
      const content = whole.length <= room ? whole : cut(whole, Math.max(0, room))
      const notes = [file.truncated]
      if (content.length < whole.length) {
        const limit =
          room === limits.maxFileBytes
            ? `the ${formatBytes(limits.maxFileBytes)} limit for one file`
            : `the bundle's ${formatBytes(limits.maxTotalBytes)} limit`
        notes.push(`cut to ${formatBytes(content.length)} of ${formatBytes(whole.length)}: ${limit}`)
      }
      const truncated = notes.filter((note) => note !== undefined).join('; ')
      files.push({ name: file.name, bytes: content.length, sha256: sha256(content), ...(truncated ? { truncated } : {}), content })
      total += content.length
    }
  }
  const manifest: Manifest = {
    createdAt: now.toISOString(),
    genopsVersion: request.genopsVersion,
    limits,
    files: files.map(({ content: _, ...entry }) => entry),
    problems,
  }
  await writeZip(request.file, [...files, { name: 'manifest.json', content: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) }], now)
  return { path: request.file, bytes: (await stat(request.file)).size, files: files.length + 1, problems }
}

/** At most `bytes`, ending at a line's end when there is one, so a cut log keeps whole lines. */
function cut(content: Buffer, bytes: number): Buffer {
  const head = content.subarray(0, bytes)
  const lastLine = head.lastIndexOf(0x0a)
  return lastLine > 0 ? head.subarray(0, lastLine + 1) : head
}

const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex')

async function writeZip(file: string, entries: readonly { name: string; content: Buffer }[], mtime: Date): Promise<void> {
  // Owner only: a bundle holds logs, traces and configuration, however well scrubbed.
  await mkdir(dirname(file), { recursive: true, mode: 0o700 })
  const partial = partialPathFor(file)
  const zip = new ZipFile()
  // yazl deflates each buffer with zlib's asynchronous deflateRaw, in libuv's thread pool:
  // the main thread (the engine, the window) stays free while megabytes of logs compress.
  for (const entry of entries) zip.addBuffer(entry.content, entry.name, { mtime, compress: true })
  zip.end()
  try {
    await pipeline(zip.outputStream, createWriteStream(partial, { mode: 0o600 }))
    await rename(partial, file)
  } catch (error) {
    await unlink(partial).catch(() => {})
    throw error
  }
}
