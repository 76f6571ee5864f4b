/** What a start's arguments hand the app: the data directory and the prompt files to open. */
import { describe, expect, it } from 'vitest'
import { dataDirArgument, promptFilesInArgv } from '../../src/main/shell/argv'

describe('dataDirArgument', () => {
  it('reads both spellings', () => {
    expect(dataDirArgument(['electron', '.', '--data-dir', '/d'])).toBe('/d')
    expect(dataDirArgument(['electron', '.', '--data-dir=/e'])).toBe('/e')
    expect(dataDirArgument(['electron', '.'])).toBeUndefined()
  })
})

describe('promptFilesInArgv', () => {
  it('takes the files intake reads, resolved against the starting directory, each once', () => {
    const argv = ['/opt/GenOps/genops', 'prompts.jsonl', '/abs/notes.MD', 'sub/table.csv', 'a.txt', 'list.json', 'prompts.jsonl']
    expect(promptFilesInArgv(argv, '/home/op')).toEqual([
      '/home/op/prompts.jsonl',
      '/abs/notes.MD',
      '/home/op/sub/table.csv',
      '/home/op/a.txt',
      '/home/op/list.json',
    ])
  })

  it('skips the executable, the app path, switches and the data directory', () => {
    const argv = ['/usr/bin/electron.txt', '/repo/out/main/index.js', '--data-dir', '/data/x.json', '--inspect=9229', '--enable-logging', 'job.md']
    expect(promptFilesInArgv(argv, '/w')).toEqual(['/w/job.md'])
  })

  it('skips files intake would refuse and arguments with no extension', () => {
    expect(promptFilesInArgv(['genops', '.', 'movie.mp4', 'README', 'archive.jsonl.gz', 'x.jsonl'], '/w')).toEqual(['/w/x.jsonl'])
  })
})
