/** How jobs read on screen: state names, times and numbers in the operator's words. */
import type { JobDetail, JobState, ProviderBatchRef } from '../../../../shared/jobs'

export const STATE_LABELS: Record<JobState, string> = {
  queued: 'Queued',
  delayed: 'Delayed',
  submitted: 'Submitted (provider batch)',
  active: 'Active',
  completed: 'Completed',
  dead: 'Dead',
  cancelled: 'Cancelled',
}

/** The provider batch a job went in (the batch lane): its id at the provider and where it stands, ours and the provider's word. */
export function providerBatchLabel(batch: ProviderBatchRef): string {
  const name = batch.remoteId ?? `#${batch.id}, not sent yet`
  return `${name}: ${batch.state}${batch.remoteStatus ? ` (${batch.remoteStatus})` : ''}`
}

const numbers = new Intl.NumberFormat()
const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })
const dayAndTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })

export const formatCount = (value: number): string => numbers.format(value)

const fullDateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' })

/** Today's jobs by time of day; older ones with their date. Formatters are made once: a list formats thousands of these. */
export function formatCreated(at: number, now = Date.now()): string {
  const date = new Date(at)
  const today = new Date(now)
  const sameDay = date.getDate() === today.getDate() && date.getMonth() === today.getMonth() && date.getFullYear() === today.getFullYear()
  return sameDay ? timeOfDay.format(date) : dayAndTime.format(date)
}

/** A moment in full, for a tooltip. */
export const formatMoment = (at: number): string => fullDateTime.format(at)

export function formatElapsed(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
}

/** The built-in simulator is labelled as such wherever it shows. */
export const providerLabel = (provider: string): string => (provider === 'sim' ? 'Simulator' : provider)

/** The job's model, or (it named none) the one its attempts ran: the profile's default, as the attempt recorded it. */
export function modelOf(job: Pick<JobDetail, 'model' | 'attempts'>): string {
  if (job.model) return job.model
  const ran = [...job.attempts].reverse().find((attempt) => attempt.model)?.model
  return ran ? `${ran} (the profile’s default)` : 'the profile’s default'
}
