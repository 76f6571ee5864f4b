/** Failure groups by fingerprint: what failed, how often, since when, and a few of the jobs it happened to. */
import { FLAG_AT, type FailureGroup } from '../../../../shared/failures'
import { formatCount, formatCreated } from '../jobs/format'
import { useFailures } from './use-failures'
import { TableScroll } from '../../components/TableScroll'

function Samples({ ids }: { ids: number[] }) {
  if (ids.length === 0) return <span className="muted">none kept</span>
  return (
    <span className="samples">
      {ids.map((id) => (
        <a key={id} className="inline-link" href={`#/jobs/${id}`} data-sample-job={id}>
          #{id}
        </a>
      ))}
    </span>
  )
}

function Row({ group }: { group: FailureGroup }) {
  const pin = useFailures((state) => state.pin)
  const busy = useFailures((state) => state.busy !== null)
  return (
    <tr data-group={group.fingerprint} data-flagged={String(group.flagged)} data-pinned={String(group.pinnedAt !== null)}>
      <td>
        <span className="badge badge-dead">{group.category}</span>
      </td>
      <td className="cell-mono" title={`fingerprint ${group.fingerprint}`}>
        {group.pattern}
      </td>
      <td className="cell-number" data-group-count={group.count}>
        {formatCount(group.count)}
        {group.flagged && (
          <span className="badge badge-warn flag" title={`Seen ${FLAG_AT} times or more: not a one-off`}>
            flagged
          </span>
        )}
      </td>
      <td className="cell-time" title={new Date(group.firstSeen).toLocaleString()}>
        {formatCreated(group.firstSeen)}
      </td>
      <td className="cell-time" title={new Date(group.lastSeen).toLocaleString()}>
        {formatCreated(group.lastSeen)}
      </td>
      <td>
        <Samples ids={group.sampleJobIds} />
      </td>
      <td className="cell-actions">
        {group.pinnedAt !== null ? (
          <span className="muted" data-cases={group.cases}>
            pinned · {group.cases} {group.cases === 1 ? 'case' : 'cases'}
          </span>
        ) : group.flagged ? (
          <button type="button" className="button button-small" disabled={busy} data-pin={group.fingerprint} onClick={() => void pin(group.fingerprint)}>
            Pin as regression case
          </button>
        ) : (
          <span className="muted" title={`A group can be pinned once it is seen ${FLAG_AT} times`}>
            seen under {FLAG_AT} times
          </span>
        )}
      </td>
    </tr>
  )
}

export function FailureGroups() {
  const groups = useFailures((state) => state.groups)
  return (
    <section className="panel" aria-labelledby="groups-title" data-groups={groups.length}>
      <header className="panel-head">
        <h2 className="panel-title" id="groups-title">
          Failure groups
        </h2>
        <span className="muted">by what went wrong, with numbers, ids and paths masked</span>
      </header>
      {groups.length === 0 ? (
        <div className="empty">
          <p className="empty-title">No failures yet</p>
          <p>
            Every failed attempt is grouped here by what went wrong. A group seen {FLAG_AT} times or more is flagged, and can be pinned as a regression case.
          </p>
          <p>To see one, enqueue a simulator job with the config {'{"failAttempts": 3}'}.</p>
        </div>
      ) : (
        <TableScroll label="Failure groups">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Category</th>
                <th scope="col">Pattern</th>
                <th scope="col">Count</th>
                <th scope="col">First seen</th>
                <th scope="col">Last seen</th>
                <th scope="col">Sample jobs</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {groups.map((group) => (
                <Row key={group.fingerprint} group={group} />
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  )
}
