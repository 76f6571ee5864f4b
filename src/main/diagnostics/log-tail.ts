/**
 * logs/: the newest part of the engine's log, newest file first, within a byte budget. A
 * file is read from its end, so a 10 MiB log costs one bounded read, and a cut file
 * starts at a whole line.
 */
import { open, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { formatBytes } from '../health/checks'
import type { SectionFile } from './bundle-writer'

/** Default budget of log text in a bundle: the last 2 MiB. */
export const DEFAULT_LOG_BYTES = 2 * 1024 * 1024
const LOG_FILE = /^genops\.(\d+)\.log$/

export async function logTail(dir: string, maxBytes = DEFAULT_LOG_BYTES): Promise<SectionFile[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return [{ name: 'logs/README.txt', text: `there is no log yet in ${dir}\n` }]
  }
  const newestFirst = names
    .flatMap((name) => {
      const match = LOG_FILE.exec(name)
      return match ? [{ name, n: Number(match[1]) }] : []
    })
    .sort((a, b) => b.n - a.n)
  const files: SectionFile[] = []
  let left = maxBytes
  for (const [index, { name }] of newestFirst.entries()) {
    if (left <= 0) {
      files.push({
        name: 'logs/README.txt',
        text: `${newestFirst.length - index} older log files left out: the bundle keeps the last ${formatBytes(maxBytes)}\n`,
      })
      break
    }
    const { text, size } = await tail(join(dir, name), left)
    left -= Buffer.byteLength(text)
    const truncated = Buffer.byteLength(text) < size ? `the last ${formatBytes(Buffer.byteLength(text))} of ${formatBytes(size)}` : undefined
    files.push({ name: `logs/${name}`, text, ...(truncated ? { truncated } : {}) })
  }
  return files
}

async function tail(file: string, maxBytes: number): Promise<{ text: string; size: number }> {
  const handle = await open(file, 'r')
  try {
    const { size } = await handle.stat()
    const length = Math.min(size, maxBytes)
    const buffer = Buffer.alloc(length)
    await handle.read(buffer, 0, length, size - length)
    const text = buffer.toString('utf8')
    // A cut tail starts mid-line: drop that part line.
    return { text: length < size ? text.slice(text.indexOf('\n') + 1) : text, size }
  } finally {
    await handle.close()
  }
}
