import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startCheckpointer } from '../../src/main/store/sqlite/db/checkpointer'
import { openDatabase } from '../../src/main/store/sqlite/db/connection'
import { CHECKPOINT_THREAD_FILE } from '../../src/main/paths'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

describe('the checkpoint thread', () => {
  it('copies the WAL back on its own connection while the main connection leaves it alone', async () => {
    const db = openDatabase(join(tempDir(), 'genops.db'))
    const checkpoints: [number, number][] = []
    const errors: string[] = []
    const checkpointer = startCheckpointer(db, {
      threadFile: CHECKPOINT_THREAD_FILE,
      intervalMs: 20,
      onError: (message) => errors.push(message),
      onCheckpoint: (frames, copied) => checkpoints.push([frames, copied]),
    })
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0)
    db.prepare(`INSERT INTO batches (name, created_at) VALUES ('b', 0)`).run()
    await waitFor(
      () => checkpoints.at(-1),
      (last) => last !== undefined && last[0] > 0 && last[1] === last[0],
      { what: 'a checkpoint that copied every frame' },
    )
    await checkpointer.stop()
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000)
    expect(errors).toEqual([])
    db.close()
  })

  it('gives checkpoints back to SQLite, saying so, when the thread cannot run', async () => {
    const db = openDatabase(join(tempDir(), 'genops.db'))
    const errors: string[] = []
    startCheckpointer(db, { threadFile: join(tempDir(), 'missing.js'), intervalMs: 20, onError: (message) => errors.push(message) })
    await waitFor(
      () => errors,
      (list) => list.length > 0,
      { what: 'the failure to be reported' },
    )
    expect(errors[0]).toMatch(/the checkpoint thread stopped .*SQLite checkpoints on the main thread again/)
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000)
    db.close()
  })

  it('stops at once when the thread has already gone', async () => {
    const db = openDatabase(join(tempDir(), 'genops.db'))
    const errors: string[] = []
    const checkpointer = startCheckpointer(db, { threadFile: join(tempDir(), 'missing.js'), intervalMs: 20, onError: (message) => errors.push(message) })
    await waitFor(
      () => errors,
      (list) => list.length > 0,
      { what: 'the thread to end' },
    )
    await checkpointer.stop()
    db.close()
  })
})
