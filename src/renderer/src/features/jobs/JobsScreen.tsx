import { useQueue } from '../../stores/use-queue'
import { JobTable } from './JobTable'
import { QueueHeader } from './QueueHeader'
import { StateFilter } from './StateFilter'

function Notice() {
  const notice = useQueue((state) => state.notice)
  const dismiss = useQueue((state) => state.dismissNotice)
  if (!notice) return null
  return (
    <div className="banner banner-notice" role="alert">
      <span>{notice}</span>
      <button type="button" className="button button-quiet" onClick={dismiss}>
        Dismiss
      </button>
    </div>
  )
}

export function JobsScreen() {
  return (
    <>
      <QueueHeader />
      <Notice />
      <main className="content">
        <StateFilter />
        <JobTable />
      </main>
    </>
  )
}
