import { describe, expect, test } from 'vitest'
import type { IntakeCommitted } from '../../../../shared/intake'
import { NO_COUNTS } from '../../stores/queue'
import { BatchWatch, sayEnqueued, sayEvent, sayPause } from './announcements'

const committed = (batchId: number, jobIds: number[]): IntakeCommitted => ({
  batchId,
  batchName: 'prompts.jsonl',
  jobIds,
  duplicates: 0,
  files: [{ name: 'prompts.jsonl', jobs: jobIds.length }],
  refusedFiles: [],
})
const alert = { id: 1, name: 'GenOpsQueueLong', summary: 'Jobs wait', at: 0, value: 3 } as const

describe('what the window says aloud', () => {
  test('an alert firing interrupts when critical, resolving waits its turn, a pending spell is not news', () => {
    expect(sayEvent({ type: 'alert', data: { ...alert, severity: 'critical', from: 'pending', to: 'firing' } })).toEqual({
      text: 'Alert GenOpsQueueLong firing (critical): Jobs wait',
      urgency: 'assertive',
    })
    expect(sayEvent({ type: 'alert', data: { ...alert, severity: 'warning', from: 'pending', to: 'firing' } })?.urgency).toBe('polite')
    expect(sayEvent({ type: 'alert', data: { ...alert, severity: 'warning', from: 'firing', to: 'resolved' } })).toEqual({
      text: 'Alert GenOpsQueueLong resolved.',
      urgency: 'polite',
    })
    expect(sayEvent({ type: 'alert', data: { ...alert, id: null, severity: 'warning', from: 'inactive', to: 'pending' } })).toBeNull()
    expect(sayEvent({ type: 'notice', data: { level: 'critical', message: 'Breaker sim opened', at: 0 } })).toEqual({
      text: 'Breaker sim opened',
      urgency: 'assertive',
    })
  })

  test('the queue pausing or resuming is said when it changes, not when the first count tells how it was', () => {
    expect(sayPause(null, true)).toBeNull()
    expect(sayPause(true, true)).toBeNull()
    expect(sayPause(false, true)?.text).toBe('Queue paused: running attempts finish, queued jobs wait.')
    expect(sayPause(true, false)?.text).toBe('Queue resumed.')
  })

  test('a drop enqueued says how many jobs and which batch', () => {
    expect(sayEnqueued({ ...committed(7, [1, 2, 3]), duplicates: 1 }).text).toBe('Enqueued 2 jobs as batch 7, prompts.jsonl.')
  })

  test('a batch finishes when its last job ends, with how its jobs ended', () => {
    const watch = new BatchWatch()
    expect(watch.watch(committed(7, [1, 2, 3]))).toEqual([])
    expect(
      watch.onJobs(
        [
          { id: 1, state: 'completed', attemptsMade: 1 },
          { id: 2, state: 'active', attemptsMade: 1 },
        ],
        false,
      ),
    ).toEqual([])
    expect(
      watch.onJobs(
        [
          { id: 2, state: 'dead', attemptsMade: 1 },
          { id: 3, state: 'completed', attemptsMade: 1 },
        ],
        false,
      ),
    ).toEqual([{ text: 'Batch 7, prompts.jsonl, finished: 2 jobs completed, 1 dead.', urgency: 'polite' }])
    // Said once.
    expect(watch.onJobs([{ id: 3, state: 'completed', attemptsMade: 1 }], false)).toEqual([])
  })

  test('jobs that ended before the enqueue answered still count', () => {
    const watch = new BatchWatch()
    watch.onJobs([{ id: 5, state: 'completed', attemptsMade: 1 }], false)
    expect(watch.watch(committed(2, [5]))).toEqual([{ text: 'Batch 2, prompts.jsonl, finished: 1 job completed.', urgency: 'polite' }])
  })

  test('with events missed, a queue with nothing left to run finishes the batch, without tallies', () => {
    const watch = new BatchWatch()
    watch.watch(committed(3, [10, 11]))
    expect(watch.onJobs([{ id: 10, state: 'completed', attemptsMade: 1 }], true)).toEqual([])
    // A count from before the enqueue, arriving late, finishes nothing.
    expect(watch.onCounts(NO_COUNTS)).toEqual([])
    expect(watch.onCounts({ ...NO_COUNTS, active: 1 })).toEqual([])
    expect(watch.onCounts({ ...NO_COUNTS, completed: 2 })).toEqual([{ text: 'Batch 3, prompts.jsonl, finished.', urgency: 'polite' }])
  })
})
