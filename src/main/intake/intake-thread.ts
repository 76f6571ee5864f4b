/**
 * The intake thread: parses one large prompt file off the main thread (see read.ts), with
 * the same code as in-thread intake, and hands the jobs on as it reads them, a message of
 * JOBS_PER_MESSAGE at a time, so that a load can write them while the rest is parsed
 * (stream.ts). The last message says whether the file was good: one with a problem anywhere
 * ends with a refusal, and whoever took its jobs so far drops them.
 */
import { readFileSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import { BatchCheck } from './job-check'
import type { JobChunk } from './file-jobs'
import { JOBS_PER_MESSAGE } from './limits'
import { parsePromptFile } from './parse'
import { fileLabel, readProblem, refused, type ParsedFile } from './problems'
import { FLOW_TAKEN, MESSAGES_AHEAD, type IntakeThreadData, type IntakeThreadMessage } from './thread-protocol'

const data = workerData as IntakeThreadData
const port = parentPort!

const taken = data.flow && new Int32Array(data.flow)
let sent = 0

/** The parse is synchronous: it waits here, on the main thread's count, while it is MESSAGES_AHEAD ahead. */
function waitForRoom(): void {
  if (!taken) return
  for (let at = Atomics.load(taken, FLOW_TAKEN); sent - at >= MESSAGES_AHEAD; at = Atomics.load(taken, FLOW_TAKEN)) Atomics.wait(taken, FLOW_TAKEN, at, 1000)
}

function send({ jobs, lines, inputs }: JobChunk, columns: string[], last: boolean): void {
  waitForRoom()
  sent++
  const texts = inputs.map((input) => (input === null ? null : JSON.stringify(input)))
  port.postMessage({ type: 'jobs', json: JSON.stringify(jobs), lines, inputs: texts, columns, last } satisfies IntakeThreadMessage)
}

const LF = 10
const CR = 13

/**
 * Lines in the file, counted in its bytes (neither byte is ever part of a UTF-8 sequence) as
 * the parsers count them: a line ends at LF, CRLF or a lone CR (a CSV saved by an old Mac
 * Excel); a last line end ends a line, it starts none.
 */
function lineCount(bytes: Uint8Array): number {
  const last = bytes[bytes.length - 1]
  let lines = bytes.length > 0 && last !== LF && last !== CR ? 1 : 0
  for (let at = bytes.indexOf(LF); at !== -1; at = bytes.indexOf(LF, at + 1)) lines++
  for (let at = bytes.indexOf(CR); at !== -1; at = bytes.indexOf(CR, at + 1)) if (bytes[at + 1] !== LF) lines++
  return lines
}

function parse(): ParsedFile {
  const check = data.context && new BatchCheck(data.context)
  const name = 'bytes' in data ? data.name : data.path
  let bytes: Uint8Array
  try {
    bytes = 'bytes' in data ? data.bytes : readFileSync(data.path)
  } catch (error) {
    return refused(fileLabel(name), readProblem(error))
  }
  port.postMessage({ type: 'size', lines: lineCount(bytes) } satisfies IntakeThreadMessage)
  // The columns are known once the whole file is read: sent with the last message.
  return parsePromptFile(name, bytes, check, { size: JOBS_PER_MESSAGE, take: (chunk) => send(chunk, [], false) })
}

const result = parse()
if (!result.ok) port.postMessage({ type: 'refused', result } satisfies IntakeThreadMessage)
else send({ jobs: result.jobs, lines: result.lines, inputs: result.inputs ?? [] }, result.columns ?? [], true)
// Kept alive until the main thread has every message and ends it: an exit could overtake messages still on their way.
port.on('message', () => {})
