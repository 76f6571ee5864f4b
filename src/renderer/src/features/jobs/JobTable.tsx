import { totalOf, PAGE_SIZE } from '../../stores/queue'
import { useQueue } from '../../stores/use-queue'
import { formatCount, STATE_LABELS } from './format'
import { JobRow } from './JobRow'

function EmptyList() {
  const filter = useQueue((state) => state.filter)
  const loading = useQueue((state) => state.status === 'loading' || state.pageLoading)
  if (loading) return <p className="empty">Loading jobs…</p>
  if (filter) return <p className="empty">No {STATE_LABELS[filter].toLowerCase()} jobs.</p>
  return (
    <div className="empty">
      <p className="empty-title">No jobs yet</p>
      <p>Jobs appear here as soon as they are enqueued, and update live as they run.</p>
    </div>
  )
}

function ListFooter() {
  const shown = useQueue((state) => state.jobs.length)
  const total = useQueue((state) => (state.filter ? state.counts[state.filter] : totalOf(state.counts)))
  if (shown === 0) return null
  return (
    <footer className="list-footer">
      {shown >= PAGE_SIZE && total > shown
        ? `Newest ${formatCount(shown)} of ${formatCount(total)} jobs`
        : `${formatCount(shown)} ${shown === 1 ? 'job' : 'jobs'}`}
    </footer>
  )
}

export function JobTable() {
  const jobs = useQueue((state) => state.jobs)
  const listState = useQueue((state) => (state.status === 'loading' || state.pageLoading ? 'loading' : 'ready'))
  return (
    <section className="list" data-list-state={listState} aria-label="Jobs">
      {jobs.length === 0 ? (
        <EmptyList />
      ) : (
        <div className="table-scroll">
          <table className="jobs">
            <colgroup>
              <col className="col-id" />
              <col className="col-state" />
              <col className="col-provider" />
              <col className="col-prompt" />
              <col className="col-attempts" />
              <col className="col-progress" />
              <col className="col-created" />
            </colgroup>
            <thead>
              <tr>
                <th scope="col">ID</th>
                <th scope="col">State</th>
                <th scope="col">Provider / model</th>
                <th scope="col">Prompt</th>
                <th scope="col">Attempts</th>
                <th scope="col">Progress</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((job) => (
                <JobRow key={job.id} job={job} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ListFooter />
    </section>
  )
}
