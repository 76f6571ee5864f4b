/** `.jsonl`: one job per line, as a JSON object. Blank lines are skipped; every other line is a job. */
import { toJobSpec } from './job'
import { MAX_LINE_CHARS } from './limits'
import type { FileJobs } from './file-jobs'

export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

export function parseJsonLines(text: string, file: FileJobs): void {
  const { problems } = file
  let lineNumber = 0
  let start = 0
  while (start <= text.length) {
    lineNumber++
    const end = text.indexOf('\n', start)
    const line = text.slice(start, end === -1 ? text.length : end)
    start = end === -1 ? text.length + 1 : end + 1
    if (line.length > MAX_LINE_CHARS) {
      problems.add(lineNumber, `the line is ${line.length} characters, over the limit of ${MAX_LINE_CHARS}`)
      continue
    }
    if (line.trim() === '') continue
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch (error) {
      problems.add(lineNumber, `not valid JSON (${(error as Error).message})`)
      continue
    }
    file.take(toJobSpec(value), lineNumber, isObject(value) ? value : null)
  }
  if (file.count === 0 && !problems.any) problems.add(null, 'the file has no jobs (only blank lines)')
}
