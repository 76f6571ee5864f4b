/**
 * Intake as the CLI, the window's drop handler and the HTTP API call it: files or bytes in,
 * a ParsedFile for each out, without holding up the main thread. Small files are parsed
 * where the call is made (a few milliseconds); from THREAD_THRESHOLD_BYTES up, on the
 * intake thread, whose jobs come back a message at a time.
 */
import { readFile, stat } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { JobSpec } from '../../shared/jobs'
import { INTAKE_THREAD_FILE } from '../paths'
import type { IntakeThreadData, IntakeThreadMessage } from './intake-thread'
import { MAX_UPLOAD_BYTES, THREAD_THRESHOLD_BYTES } from './limits'
import { BatchCheck, checkBatch, type JobCheckContext } from './job-check'
import { extensionProblem, parsePromptFile, sizeProblem } from './parse'
import { fileLabel, readProblem, refused, type JobInput, type ParsedFile } from './problems'

/**
 * Reads and checks each file, one after another (two large files at once would only
 * share the same cores), and answers in the order given. Never throws for a bad or
 * unreadable file: that file's answer says what is wrong.
 */
export async function readPromptFiles(paths: readonly string[], options: IntakeOptions = {}): Promise<ParsedFile[]> {
  const parsed: ParsedFile[] = []
  for (const path of paths) parsed.push(await readPromptFile(path, options))
  // Each file's jobs were checked as it was read; their artifact names meet across the batch's files.
  return paths.length > 1 ? checkBatch(parsed, null) : parsed
}

export interface IntakeOptions {
  /** The intake thread's entry; INTAKE_THREAD_FILE unless a test or the bench says otherwise. */
  threadFile?: string
  /** The profiles and defaults the jobs will run with: each job is checked for what it means as it is read. */
  context?: JobCheckContext | undefined
}

export async function readPromptFile(path: string, { threadFile, context }: IntakeOptions = {}): Promise<ParsedFile> {
  const file = fileLabel(path)
  // The cheap refusals first: a wrong file dropped by mistake is never read.
  const wrongType = extensionProblem(file)
  if (wrongType) return refused(file, wrongType)
  let size: number
  try {
    const info = await stat(path)
    if (info.isDirectory()) return refused(file, 'it is a folder, not a file')
    size = info.size
  } catch (error) {
    return refused(file, readProblem(error))
  }
  const tooLarge = sizeProblem(size)
  if (tooLarge) return refused(file, tooLarge)
  if (size >= THREAD_THRESHOLD_BYTES) return parseOnThread({ path, context }, threadFile)
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (error) {
    return refused(file, readProblem(error))
  }
  return parsePromptFile(path, bytes, context && new BatchCheck(context))
}

/**
 * Bytes the caller already holds (a body of the API, a file the window read), named by
 * `name`. Large ones are copied to the intake thread: the caller's bytes stay usable.
 */
export async function parsePromptBuffer(name: string, bytes: Uint8Array, { threadFile, context }: IntakeOptions = {}): Promise<ParsedFile> {
  const refusal = extensionProblem(name) ?? sizeProblem(bytes.byteLength, MAX_UPLOAD_BYTES)
  if (refusal) return refused(fileLabel(name), refusal)
  if (bytes.byteLength >= THREAD_THRESHOLD_BYTES) return parseOnThread({ name, bytes, context }, threadFile)
  return parsePromptFile(name, bytes, context && new BatchCheck(context))
}

/** Parses on a new intake thread, whatever the size. Exported for the tests, which compare it with the in-thread path. */
export function parseOnThread(data: IntakeThreadData, threadFile = INTAKE_THREAD_FILE): Promise<ParsedFile> {
  const file = fileLabel('path' in data ? data.path : data.name)
  // From source (tsx, vitest) the thread is TypeScript. Node 20 does not apply `--import tsx`
  // to a worker's entry, so a one-line JavaScript entry loads it through tsx's API.
  const url = JSON.stringify(pathToFileURL(threadFile).href)
  const thread = threadFile.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then((tsx) => tsx.tsImport(${url}, ${url}))`, { eval: true, workerData: data })
    : new Worker(threadFile, { workerData: data })
  return new Promise<ParsedFile>((resolve) => {
    const jobs: JobSpec[] = []
    const lines: number[] = []
    const inputs: JobInput[] = []
    let settled = false
    const settle = (result: ParsedFile) => {
      if (settled) return
      settled = true
      void thread.terminate()
      resolve(result)
    }
    thread.on('message', (message: IntakeThreadMessage) => {
      if (message.type === 'refused') return settle(message.result)
      for (const job of JSON.parse(message.json) as JobSpec[]) jobs.push(job)
      for (const line of message.lines) lines.push(line)
      for (const input of JSON.parse(message.inputs) as JobInput[]) inputs.push(input)
      if (message.last) return settle({ ok: true, file, jobs, lines, inputs, columns: message.columns })
      // Asked for after this turn of the event loop, so the next message cannot be copied in the same turn as this one.
      setImmediate(() => thread.postMessage('more'))
    })
    thread.on('error', (error) => settle(refused(file, `the file could not be parsed: ${error.message}`)))
    thread.on('exit', (code) => settle(refused(file, `the file could not be parsed: the intake thread stopped (exit code ${code})`)))
  })
}
