/** Encodings and line ends: UTF-8 with or without BOM, CRLF; everything else named for what it is, with its line. */
import { describe, expect, it } from 'vitest'
import { parsePromptFile } from '../../src/main/intake/parse'

const utf8 = (text: string) => new TextEncoder().encode(text)
const utf16le = (text: string) => new Uint8Array(Buffer.from(text, 'utf16le'))
const utf16be = (text: string) => utf16le(text).map((_, i, bytes) => bytes[i % 2 === 0 ? i + 1 : i - 1]!)

describe('text that is taken', () => {
  it('drops a UTF-8 byte-order mark and reads CRLF line ends as LF', () => {
    expect(parsePromptFile('x.jsonl', utf8('\uFEFF{"prompt":"a"}\r\n{"prompt":"b"}\r\n'))).toEqual({
      ok: true,
      file: 'x.jsonl',
      jobs: [{ prompt: 'a' }, { prompt: 'b' }],
      lines: [1, 2],
      inputs: [{ prompt: 'a' }, { prompt: 'b' }],
      columns: ['prompt'],
    })
    expect(parsePromptFile('x.md', utf8('\uFEFF# Title\r\n\r\nWrite it.\r\n'))).toEqual({
      ok: true,
      file: 'x.md',
      jobs: [{ prompt: '# Title\n\nWrite it.' }],
      lines: [0],
      inputs: [null],
      columns: [],
    })
  })

  it('keeps text that is not ASCII', () => {
    expect(parsePromptFile('x.txt', utf8('Traduis « café » en 日本語.'))).toMatchObject({ ok: true, jobs: [{ prompt: 'Traduis « café » en 日本語.' }] })
  })
})

describe('text that is refused', () => {
  it('names UTF-16 with a byte-order mark, either way round', () => {
    expect(parsePromptFile('a.txt', utf16le('\uFEFFhello'))).toEqual({
      ok: false,
      file: 'a.txt',
      errors: ['a.txt: the file is UTF-16 (little-endian); save it as UTF-8'],
      moreErrors: 0,
    })
    expect(parsePromptFile('a.csv', utf16be('\uFEFFprompt\nhello'))).toMatchObject({ errors: ['a.csv: the file is UTF-16 (big-endian); save it as UTF-8'] })
  })

  it('names UTF-16 without a byte-order mark by its NUL bytes in step', () => {
    const jsonl = '{"prompt":"a"}\n{"prompt":"b"}\n'
    expect(parsePromptFile('a.jsonl', utf16le(jsonl))).toMatchObject({
      errors: ['a.jsonl: the file looks like UTF-16 (little-endian, without a byte-order mark); save it as UTF-8'],
    })
    expect(parsePromptFile('a.jsonl', utf16be(jsonl))).toMatchObject({
      errors: ['a.jsonl: the file looks like UTF-16 (big-endian, without a byte-order mark); save it as UTF-8'],
    })
  })

  it('names binary content and the line its first NUL byte is on', () => {
    expect(parsePromptFile('a.txt', utf8('one\ntwo\nthr\0ee'))).toMatchObject({ errors: ['a.txt:3: the file looks binary (it contains NUL bytes), not text'] })
    // A PNG header (two LFs, then NULs): its NULs fall anywhere, not every other byte.
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 1, 0, 0, 0, 1, 0, 8, 6, 0, 0, 0])
    expect(parsePromptFile('image.md', png)).toMatchObject({ errors: ['image.md:3: the file looks binary (it contains NUL bytes), not text'] })
  })

  it('names text in another 8-bit encoding by the line that is not UTF-8', () => {
    const latin1 = new Uint8Array([...utf8('{"prompt":"ok"}\n{"prompt":"caf'), 0xe9, ...utf8('"}\n')])
    expect(parsePromptFile('menu.jsonl', latin1)).toMatchObject({
      errors: ['menu.jsonl:2: the text is not valid UTF-8: save the file as UTF-8 (it may be binary, or text in another encoding such as Windows-1252)'],
    })
  })

  it('names an empty file, and one of only blank lines and spaces', () => {
    expect(parsePromptFile('a.txt', utf8(''))).toMatchObject({ errors: ['a.txt: the file is empty'] })
    expect(parsePromptFile('a.jsonl', utf8('\uFEFF'))).toMatchObject({ errors: ['a.jsonl: the file is empty'] })
    expect(parsePromptFile('a.csv', utf8(' \n\t\r\n  '))).toMatchObject({ errors: ['a.csv: the file is empty (it holds only blank lines and spaces)'] })
  })
})
