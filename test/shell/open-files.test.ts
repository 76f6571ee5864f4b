/**
 * Files handed to the app (a second start, the dock, File › Open) become one previewed
 * intake on the real intake operations, and what could not be read is said as a notice.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import type { EngineEvent, OperationName, OperationOutput } from '../../src/shared/contract'
import { MAX_INTAKE_FILES } from '../../src/shared/intake'
import { intakeHandlers } from '../../src/main/intake/operations'
import { createHandlers, invoke, type Handlers } from '../../src/main/operations'
import { previewPromptFiles, type EngineCaller } from '../../src/main/shell/open-files'
import { tempStore } from '../support/queue'
import { tempDir } from '../support/temp'

function realIntake(): EngineCaller & { calls: unknown[] } {
  const store = tempStore()
  const runtime = { countsMayChange: vi.fn(), kick: vi.fn(), reloadGates: vi.fn(async () => {}) }
  const handlers = { ...createHandlers(store), ...intakeHandlers(store, runtime, {}) } as Handlers
  const calls: unknown[] = []
  return {
    calls,
    call: <K extends OperationName>(name: K, input?: unknown) => {
      calls.push({ name, input })
      return invoke(handlers, name, input) as Promise<OperationOutput<K>>
    },
  }
}

const AT = 1_800_000_000_000
const notices = (events: EngineEvent[]) => events.flatMap((event) => (event.type === 'notice' ? [event.data.message] : []))

describe('previewPromptFiles', () => {
  it('previews every file as one intake and hands the preview over as filesOpened', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'one.txt'), 'Write a haiku about queues.')
    writeFileSync(join(dir, 'many.jsonl'), '{"prompt":"a"}\n{"prompt":"b"}\n')
    writeFileSync(join(dir, 'broken.jsonl'), '{"prompt":"a"}\nnot json\n')
    const engine = realIntake()
    const events = await previewPromptFiles(engine, [join(dir, 'one.txt'), join(dir, 'many.jsonl'), join(dir, 'broken.jsonl')], () => AT)
    expect(events).toHaveLength(1)
    const opened = events[0]!
    expect(opened.type).toBe('filesOpened')
    if (opened.type !== 'filesOpened') return
    expect(opened.data.files.map((file) => [file.name, file.ok, file.jobs])).toEqual([
      ['one.txt', true, 1],
      ['many.jsonl', true, 2],
      ['broken.jsonl', false, 0],
    ])
    expect(opened.data.totalJobs).toBe(3)
    // A file per call, each added to the first call's intake.
    expect(engine.calls).toHaveLength(3)
  })

  it('says which files could not be opened, and previews the rest', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'good.md'), '# A prompt\nWrite it.')
    mkdirSync(join(dir, 'folder.txt'))
    writeFileSync(join(dir, 'locked.txt'), 'secret')
    chmodSync(join(dir, 'locked.txt'), 0)
    writeFileSync(join(dir, 'video.mp4'), 'not a prompt')
    // root reads any file: there, the locked one is simply previewed.
    const lockedIsUnreadable = process.getuid?.() !== 0
    const paths = [join(dir, 'missing.csv'), join(dir, 'folder.txt'), join(dir, 'good.md'), join(dir, 'locked.txt'), join(dir, 'video.mp4')]
    const events = await previewPromptFiles(realIntake(), paths, () => AT)
    expect(notices(events)).toEqual([
      'Could not open missing.csv: no such file',
      'Could not open folder.txt: it is a folder',
      ...(lockedIsUnreadable ? ['Could not open locked.txt: permission denied'] : []),
      'Could not open video.mp4: unknown file type ".mp4": use .txt, .md, .jsonl, .json, .csv',
    ])
    expect(events.every((event) => event.type !== 'notice' || (event.data.level === 'warning' && event.data.at === AT))).toBe(true)
    const opened = events.at(-1)!
    expect(opened.type === 'filesOpened' && opened.data.files.map((file) => file.name)).toEqual(['good.md', ...(lockedIsUnreadable ? [] : ['locked.txt'])])
  })

  it('sends no preview when nothing could be opened', async () => {
    const events = await previewPromptFiles(realIntake(), ['/no/such/file.jsonl'], () => AT)
    expect(events.map((event) => event.type)).toEqual(['notice'])
  })

  it('opens at most one drop of files and says so', async () => {
    const dir = tempDir()
    const paths = Array.from({ length: MAX_INTAKE_FILES + 3 }, (_, index) => {
      const path = join(dir, `p${index}.txt`)
      writeFileSync(path, `prompt ${index}`)
      return path
    })
    const events = await previewPromptFiles(realIntake(), paths, () => AT)
    expect(notices(events)).toEqual([`Opened the first ${MAX_INTAKE_FILES} of ${MAX_INTAKE_FILES + 3} files: a drop holds at most ${MAX_INTAKE_FILES}.`])
    const opened = events.at(-1)!
    expect(opened.type === 'filesOpened' && opened.data.files).toHaveLength(MAX_INTAKE_FILES)
  })
})
