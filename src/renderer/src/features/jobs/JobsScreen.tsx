/**
 * The jobs screen: counts by state (also the state filter), the other filters and the
 * search, the list of jobs, and the job open in detail beside it (`#/jobs/<id>`).
 */
import { useEffect } from 'react'
import { useRoute } from '../../shell/route'
import { useQueue } from '../../stores/use-queue'
import { BulkDialog } from './BulkDialog'
import { JobDetailPanel } from './JobDetailPanel'
import { JobFilters } from './JobFilters'
import { JobList } from './JobList'
import { StateFilter } from './StateFilter'
import { useJobList, useJobsStores } from './use-jobs'
import './jobs.css'

function Notice({ message, onDismiss }: { message: string | null; onDismiss(): void }) {
  if (!message) return null
  return (
    <div className="banner banner-notice" role="alert">
      <span>{message}</span>
      <button type="button" className="button button-quiet" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  )
}

export function JobsScreen() {
  const { list, detail } = useJobsStores()
  const jobId = useRoute((state) => state.jobId)
  const queueNotice = useQueue((state) => state.notice)
  const dismissQueueNotice = useQueue((state) => state.dismissNotice)
  const listError = useJobList((state) => state.error)
  const listState = useJobList((state) => state.listState)
  useEffect(() => list.getState().start(), [list])
  useEffect(() => detail.getState().start(), [detail])
  useEffect(() => {
    detail.getState().open(jobId)
  }, [detail, jobId])
  return (
    <>
      <Notice message={queueNotice} onDismiss={dismissQueueNotice} />
      <Notice message={listError} onDismiss={() => list.getState().dismissError()} />
      <main className="content jobs-screen" data-screen-state={listState} tabIndex={-1}>
        {/* The list needs the height more than a title does: the navigation already says where this is. */}
        <h1 className="visually-hidden">Jobs</h1>
        <StateFilter />
        <JobFilters />
        <div className={jobId ? 'jobs-body jobs-body-detail' : 'jobs-body'}>
          <JobList />
          {jobId !== null && <JobDetailPanel />}
        </div>
      </main>
      <BulkDialog />
    </>
  )
}
