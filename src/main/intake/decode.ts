/**
 * Bytes into text. Prompt files are UTF-8, with or without a byte-order mark, with CRLF or
 * LF line ends. Anything else is named for what it is (UTF-16, binary, another 8-bit
 * encoding) so the operator knows how to save it instead, with the line where it shows.
 */
import type { FileProblems } from './problems'

const LF = 0x0a
/** Enough of a file to tell UTF-16 from binary by where its NUL bytes fall. */
const SAMPLE_BYTES = 4096

/**
 * The text of a file with CRLF turned into LF (a prompt's line ends are the operator's
 * editor's, not part of the prompt), or null with the reason added to `problems`.
 */
export function decodeText(bytes: Uint8Array, problems: FileProblems): string | null {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return refuse(problems, null, 'the file is UTF-16 (little-endian); save it as UTF-8')
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return refuse(problems, null, 'the file is UTF-16 (big-endian); save it as UTF-8')
  // A Buffer over the same memory: its indexOf is memchr, ten times a Uint8Array's on a large file.
  const nul = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(0)
  if (nul !== -1) {
    const utf16 = utf16WithoutMark(bytes.subarray(0, SAMPLE_BYTES))
    if (utf16) return refuse(problems, null, `the file looks like UTF-16 (${utf16}, without a byte-order mark); save it as UTF-8`)
    return refuse(problems, lineAt(bytes, nul), 'the file looks binary (it contains NUL bytes), not text')
  }
  let text: string
  try {
    // ignoreBOM false: a leading UTF-8 byte-order mark is dropped, not made part of the first prompt.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    return refuse(
      problems,
      firstInvalidLine(bytes),
      'the text is not valid UTF-8: save the file as UTF-8 (it may be binary, or text in another encoding such as Windows-1252)',
    )
  }
  return text.includes('\r\n') ? text.replace(/\r\n/g, '\n') : text
}

function refuse(problems: FileProblems, line: number | null, reason: string): null {
  problems.add(line, reason)
  return null
}

/**
 * UTF-16 text of mostly ASCII has a NUL in every other byte: after each character in
 * little-endian, before it in big-endian. Binary files have NULs too, but not in step.
 */
function utf16WithoutMark(sample: Uint8Array): 'little-endian' | 'big-endian' | null {
  let even = 0
  let odd = 0
  for (let i = 0; i < sample.length; i++) {
    if (sample[i] !== 0) continue
    if (i % 2 === 0) even++
    else odd++
  }
  const pairs = Math.floor(sample.length / 2)
  if (pairs === 0) return null
  // Most pairs hold an ASCII character, and hardly any NUL falls on the other side.
  if (odd >= pairs * 0.6 && even <= odd * 0.05) return 'little-endian'
  if (even >= pairs * 0.6 && odd <= even * 0.05) return 'big-endian'
  return null
}

/** The 1-based line of a byte offset. LF never occurs inside a UTF-8 sequence, so bytes can be counted. */
function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1
  for (let i = bytes.indexOf(LF); i !== -1 && i < offset; i = bytes.indexOf(LF, i + 1)) line++
  return line
}

/** Only called once the whole file failed to decode: finds the first line that does not. */
function firstInvalidLine(bytes: Uint8Array): number | null {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let start = 0
  for (let line = 1; start <= bytes.length; line++) {
    const end = bytes.indexOf(LF, start)
    const stop = end === -1 ? bytes.length : end
    try {
      decoder.decode(bytes.subarray(start, stop))
    } catch {
      return line
    }
    if (end === -1) break
    start = end + 1
  }
  return null
}
