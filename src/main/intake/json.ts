/** `.json`: an array of jobs. A problem names the line its job starts on, and the job's place in the array. */
import { z } from 'zod'
import { toJobSpec } from './job'
import type { FileJobs } from './file-jobs'
import { isObject } from './jsonl'

export function parseJsonArray(text: string, file: FileJobs): void {
  const { problems } = file
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    problems.add(null, `not valid JSON (${(error as Error).message})`)
    return
  }
  const array = z.array(z.unknown()).min(1).safeParse(value)
  if (!array.success) {
    problems.add(null, 'a .json file holds an array of jobs, like [{"prompt": "..."}]')
    return
  }
  const starts = elementLines(text)
  array.data.forEach((item, index) => {
    const job = toJobSpec(item)
    file.take(typeof job === 'string' ? `job ${index + 1}: ${job}` : job, starts[index] ?? 0, isObject(item) ? item : null)
  })
}

/** Line numbers where each top-level array element starts (JSON.parse keeps no positions). */
function elementLines(text: string): number[] {
  const lines: number[] = []
  let depth = 0
  let line = 1
  let inString = false
  let expectElement = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '\n') line++
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
      continue
    }
    if (expectElement && c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r' && c !== ']') {
      lines.push(line)
      expectElement = false
    }
    if (c === '"') inString = true
    else if (c === '[' || c === '{') {
      depth++
      if (depth === 1 && c === '[') expectElement = true
    } else if (c === ']' || c === '}') depth--
    else if (c === ',' && depth === 1) expectElement = true
  }
  return lines
}
