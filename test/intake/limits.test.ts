/** The limits and refusals that come before a file's content: type, size, line length, how many problems are listed. */
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MAX_FILE_BYTES, MAX_LINE_CHARS, MAX_REPORTED_ERRORS, MAX_UPLOAD_BYTES } from '../../src/main/intake/limits'
import { parsePromptFile } from '../../src/main/intake/parse'
import { parsePromptBuffer, readPromptFiles } from '../../src/main/intake/read'
import { genops } from '../support/cli'
import { tempDir } from '../support/temp'

const text = (s: string) => new TextEncoder().encode(s)

describe('file types', () => {
  it('refuses an unknown extension by name, listing the ones taken', () => {
    expect(parsePromptFile('notes.docx', text('hello'))).toEqual({
      ok: false,
      file: 'notes.docx',
      errors: ['notes.docx: unknown file type ".docx": use .txt, .md, .jsonl, .json, .csv'],
      moreErrors: 0,
    })
    expect(parsePromptFile('README', text('hello'))).toMatchObject({ errors: ['README: unknown file type "(none)": use .txt, .md, .jsonl, .json, .csv'] })
  })

  it('takes an extension in capitals', () => {
    expect(parsePromptFile('NOTES.TXT', text('hello'))).toMatchObject({ ok: true, jobs: [{ prompt: 'hello' }] })
  })

  it('refuses a file of the wrong type without reading it, and names what cannot be read', async () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'folder.jsonl'))
    expect(await readPromptFiles([join(dir, 'never-there.pdf'), join(dir, 'missing.jsonl'), join(dir, 'folder.jsonl')])).toEqual([
      expect.objectContaining({ errors: ['never-there.pdf: unknown file type ".pdf": use .txt, .md, .jsonl, .json, .csv'] }),
      expect.objectContaining({ errors: ['missing.jsonl: cannot read the file: there is no such file (ENOENT)'] }),
      expect.objectContaining({ errors: ['folder.jsonl: it is a folder, not a file'] }),
    ])
  })
})

describe('sizes', () => {
  const over = (limit: number) => `the file is ${limit + 1} bytes, over the limit of ${limit} (${limit / 1024 / 1024} MiB): split it into smaller files`

  it('refuses a file read from disk over the size limit from its size, before reading it', async () => {
    expect(MAX_FILE_BYTES).toBe(512 * 1024 * 1024)
    const file = join(tempDir(), 'big.jsonl')
    writeFileSync(file, '')
    // Sparse: the test writes nothing, and intake must not read 512 MiB of NULs to refuse it.
    truncateSync(file, MAX_FILE_BYTES + 1)
    expect(await readPromptFiles([file])).toEqual([{ ok: false, file: 'big.jsonl', errors: [`big.jsonl: ${over(MAX_FILE_BYTES)}`], moreErrors: 0 }])
  })

  it('refuses bytes sent through the contract over the upload limit, on the thread or not', async () => {
    expect(MAX_UPLOAD_BYTES).toBe(64 * 1024 * 1024)
    const bytes = new Uint8Array(MAX_UPLOAD_BYTES + 1).fill(0x61)
    expect(await parsePromptBuffer('big.txt', bytes)).toMatchObject({ errors: [`big.txt: ${over(MAX_UPLOAD_BYTES)}`] })
  })

  it('refuses a line over the length limit, naming it, in .jsonl and .csv', () => {
    const long = `{"prompt":"${'x'.repeat(MAX_LINE_CHARS)}"}`
    expect(parsePromptFile('big.jsonl', text(`{"prompt":"ok"}\n${long}\n{"prompt":"ok"}\n`))).toMatchObject({
      ok: false,
      errors: [`big.jsonl:2: the line is ${long.length} characters, over the limit of ${MAX_LINE_CHARS}`],
    })
    expect(parsePromptFile('big.csv', text(`prompt\nok\n"ok\n${'x'.repeat(MAX_LINE_CHARS + 1)}"\n`))).toMatchObject({
      errors: [`big.csv:4: the line is ${MAX_LINE_CHARS + 2} characters, over the limit of ${MAX_LINE_CHARS}`],
    })
  })

  it('takes a line at the limit', () => {
    const head = '{"prompt":"x","config":{"system":"'
    const line = `${head}${'x'.repeat(MAX_LINE_CHARS - head.length - 3)}"}}`
    expect(line.length).toBe(MAX_LINE_CHARS)
    expect(parsePromptFile('edge.jsonl', text(`${line}\n`)).ok).toBe(true)
  })
})

describe('many problems', () => {
  it('lists the first hundred and counts the rest', () => {
    const parsed = parsePromptFile('many.jsonl', text('nope\n'.repeat(250)))
    expect(parsed).toMatchObject({ ok: false, moreErrors: 150 })
    if (parsed.ok) return
    expect(parsed.errors).toHaveLength(MAX_REPORTED_ERRORS)
    expect(parsed.errors[0]).toMatch(/^many\.jsonl:1: not valid JSON/)
    expect(parsed.errors[99]).toMatch(/^many\.jsonl:100: not valid JSON/)
  })

  it('the CLI prints them, then how many more, and names a file it cannot read', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'many.csv'), `prompt,attempts\n${'a,x\n'.repeat(130)}`)
    const result = genops(['enqueue', join(dir, 'many.csv'), join(dir, 'missing.txt'), '--data-dir', dir])
    expect(result.status).toBe(2)
    const lines = result.stderr.trimEnd().split('\n')
    expect(lines).toHaveLength(MAX_REPORTED_ERRORS + 4)
    expect(lines[0]).toBe('many.csv:2: attempts: "x" is not a whole number')
    expect(lines.slice(-4)).toEqual([
      'many.csv: ... and 30 more problems',
      'many.csv: nothing enqueued from this file',
      'missing.txt: cannot read the file: there is no such file (ENOENT)',
      'missing.txt: nothing enqueued from this file',
    ])
    expect(result.stdout).toBe('')
  })
})
