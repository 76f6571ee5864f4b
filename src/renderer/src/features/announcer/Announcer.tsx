/**
 * The window's voice for screen readers: two live regions, always in the page (a region
 * that appears together with its text is often not read at all), one polite and one
 * assertive. They speak what announcements.ts makes of the engine's events and of this
 * window's drops; `data-announcer` lets a test read what was said.
 */
import { useEffect, useState } from 'react'
import { useClient } from '../../client'
import { useIntakeStore } from '../intake/use-intake'
import { BatchWatch, sayEnqueued, sayEvent, sayPause, type Announcement, type Urgency } from './announcements'

/** The last few said stay in the region: each new one is an added node, which is what gets read. */
const KEPT = 3

interface Said {
  id: number
  text: string
}

export function Announcer() {
  const client = useClient()
  const intake = useIntakeStore()
  const [said, setSaid] = useState<Record<Urgency, Said[]>>({ polite: [], assertive: [] })
  useEffect(() => {
    const batches = new BatchWatch()
    let paused: boolean | null = null
    let next = 1
    const speak = (announcements: readonly Announcement[]) => {
      if (announcements.length === 0) return
      setSaid((before) => {
        const after = { polite: [...before.polite], assertive: [...before.assertive] }
        for (const { text, urgency } of announcements) after[urgency] = [...after[urgency], { id: next++, text }].slice(-KEPT)
        return after
      })
    }
    const stopEvents = client.onEvent((event) => {
      const heard = sayEvent(event)
      if (heard) speak([heard])
      if (event.type === 'jobs') speak(batches.onJobs(event.data.changes, event.data.truncated))
      else if (event.type === 'counts') {
        const change = sayPause(paused, event.data.paused)
        paused = event.data.paused
        speak([...(change ? [change] : []), ...batches.onCounts(event.data.counts)])
      }
    })
    const stopIntake = intake.subscribe((state, before) => {
      if (state.phase === 'done' && before.phase !== 'done' && state.committed) speak([sayEnqueued(state.committed), ...batches.watch(state.committed)])
    })
    return () => {
      stopEvents()
      stopIntake()
    }
  }, [client, intake])
  return (
    <div className="visually-hidden">
      <div role="status" aria-live="polite" data-announcer="polite">
        {said.polite.map((line) => (
          <p key={line.id}>{line.text}</p>
        ))}
      </div>
      <div role="alert" aria-live="assertive" data-announcer="assertive">
        {said.assertive.map((line) => (
          <p key={line.id}>{line.text}</p>
        ))}
      </div>
    </div>
  )
}
