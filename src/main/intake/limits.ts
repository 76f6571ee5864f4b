/**
 * How much intake takes, and where it does the work. A file over a limit is refused with
 * the limit in the message, so the operator knows what to split or shorten.
 */
import { MAX_INTAKE_FILE_BYTES } from '../../shared/intake'

/**
 * The largest prompt file read from disk (`genops enqueue`): 512 MiB, about the longest
 * string V8 makes of one file (a million-line file is 100-300 MB). Checked against the
 * file's size before it is read, so a wrong file (a video, a disk image) costs nothing.
 */
export const MAX_FILE_BYTES = 512 * 1024 * 1024

/**
 * The largest file sent as bytes through the contract (the window's drop, the HTTP API):
 * 64 MiB, what one request carries (MAX_INTAKE_FILE_BYTES says the same to the window).
 */
export const MAX_UPLOAD_BYTES = MAX_INTAKE_FILE_BYTES

/**
 * The longest line of a line-oriented file (.jsonl, .csv), in characters: 1 Mi. A longer
 * line is almost always a file that is not what its extension says (a minified bundle, a
 * base64 blob), and it is reported with its line number. A .txt or .md file is one prompt
 * and a .json array may sit on one line: those are bounded by the prompt and file limits.
 */
export const MAX_LINE_CHARS = 1024 * 1024

/** How many problems a file's report lists before it only counts the rest: 100. */
export const MAX_REPORTED_ERRORS = 100

/**
 * Files from this size up (256 KiB) are parsed on a thread of their own. Parsing runs at
 * about 40 MB/s on one core here (a 15 MB, 100,000-line .jsonl in ~400 ms): below this
 * size the main thread is busy for under 10 ms, less than a worker takes to start.
 */
export const THREAD_THRESHOLD_BYTES = 256 * 1024

/**
 * Jobs the intake thread sends back per message: 1,000. Each message is copied into the
 * main thread in one go; this keeps each copy to a few milliseconds, and the thread stays a
 * few messages ahead at most (thread-protocol.ts) so that copies never pile up behind each other.
 */
export const JOBS_PER_MESSAGE = 1000
