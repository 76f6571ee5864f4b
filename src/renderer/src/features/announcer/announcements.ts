/**
 * What a screen reader should hear without looking: an alert firing or resolving, the
 * engine's notices, a drop enqueued, and a batch of this window's drop finishing. Pure: the
 * events go in, sentences come out; Announcer.tsx speaks them through live regions.
 */
import type { EngineEvent, JobChange } from '../../../../shared/contract'
import type { IntakeCommitted } from '../../../../shared/intake'
import type { QueueCounts } from '../../../../shared/jobs'
import { plural } from '../../words'

/** Polite waits for a pause in speech; assertive interrupts, kept for what cannot wait (a critical alert or notice). */
export type Urgency = 'polite' | 'assertive'

export interface Announcement {
  text: string
  urgency: Urgency
}

/** What an engine event says aloud, if anything: a pending spell is not news, a firing one is. */
export function sayEvent(event: EngineEvent): Announcement | null {
  if (event.type === 'alert') {
    const alert = event.data
    if (alert.to === 'firing')
      return { text: `Alert ${alert.name} firing (${alert.severity}): ${alert.summary}`, urgency: alert.severity === 'critical' ? 'assertive' : 'polite' }
    if (alert.to === 'resolved' && alert.from === 'firing') return { text: `Alert ${alert.name} resolved.`, urgency: 'polite' }
    return null
  }
  if (event.type === 'notice') return { text: event.data.message, urgency: event.data.level === 'critical' ? 'assertive' : 'polite' }
  return null
}

/**
 * The queue paused or resumed (from this window, a shortcut, the CLI or a budget): said when
 * it changes, not when the first count tells how it already was (`before` null).
 */
export function sayPause(before: boolean | null, paused: boolean): Announcement | null {
  if (before === null || before === paused) return null
  return { text: paused ? 'Queue paused: running attempts finish, queued jobs wait.' : 'Queue resumed.', urgency: 'polite' }
}

export function sayEnqueued(committed: IntakeCommitted): Announcement {
  const added = committed.jobIds.length - committed.duplicates
  return { text: `Enqueued ${plural(added, 'job')} as batch ${committed.batchId}, ${committed.batchName}.`, urgency: 'polite' }
}

const ENDED = new Set(['completed', 'dead', 'cancelled'])
/** Ended jobs remembered from before a drop's batch is known (its jobs can end before the commit answers). */
const RECENT_ENDED = 10_000

interface Watched {
  id: number
  name: string
  waiting: Set<number>
  ended: Record<'completed' | 'dead' | 'cancelled', number>
  /** Some of its jobs ended unseen (a truncated event): the tallies would be wrong, so only "finished" is said. */
  missed: boolean
  /** Counts have shown work waiting since it was enqueued: a later count of none is about it, not an older one. */
  counted: boolean
}

function sayFinished(batch: Watched): Announcement {
  const { completed, dead, cancelled } = batch.ended
  const tallies = [completed && `${plural(completed, 'job')} completed`, dead && `${dead} dead`, cancelled && `${cancelled} cancelled`].filter(Boolean)
  const how = batch.missed || tallies.length === 0 ? '' : `: ${tallies.join(', ')}`
  return { text: `Batch ${batch.id}, ${batch.name}, finished${how}.`, urgency: 'polite' }
}

/** The batches this window enqueued, each followed until its last job has ended. */
export class BatchWatch {
  private readonly batches = new Map<number, Watched>()
  private readonly recent = new Map<number, JobChange['state']>()

  watch(committed: IntakeCommitted): Announcement[] {
    const batch: Watched = {
      id: committed.batchId,
      name: committed.batchName,
      waiting: new Set(),
      ended: { completed: 0, dead: 0, cancelled: 0 },
      missed: false,
      counted: false,
    }
    for (const id of committed.jobIds) {
      const state = this.recent.get(id)
      if (state && ENDED.has(state)) batch.ended[state as keyof Watched['ended']]++
      else batch.waiting.add(id)
    }
    this.batches.set(batch.id, batch)
    return this.finished()
  }

  onJobs(changes: readonly JobChange[], truncated: boolean): Announcement[] {
    for (const change of changes) {
      this.recent.delete(change.id)
      this.recent.set(change.id, change.state)
      if (this.recent.size > RECENT_ENDED) this.recent.delete(this.recent.keys().next().value!)
      if (!ENDED.has(change.state)) continue
      for (const batch of this.batches.values()) {
        if (batch.waiting.delete(change.id)) batch.ended[change.state as keyof Watched['ended']]++
      }
    }
    if (truncated) for (const batch of this.batches.values()) batch.missed = true
    return this.finished()
  }

  /**
   * Nothing queued, delayed or running anywhere: every batch followed has ended, whatever
   * events were missed (only once a count since its enqueue has shown work, so a count from
   * before the enqueue, arriving late, finishes nothing).
   */
  onCounts(counts: QueueCounts): Announcement[] {
    const busy = counts.queued + counts.delayed + counts.submitted + counts.active > 0
    for (const batch of this.batches.values()) {
      if (busy) batch.counted = true
      else if (batch.counted) {
        if (batch.waiting.size > 0) batch.missed = true
        batch.waiting.clear()
      }
    }
    return this.finished()
  }

  private finished(): Announcement[] {
    const done = [...this.batches.values()].filter((batch) => batch.waiting.size === 0)
    for (const batch of done) this.batches.delete(batch.id)
    return done.map(sayFinished)
  }
}
