/** Each attempt's trace as a table: the same spans as the waterfall, in words a screen reader (or a copy and paste) can take. */
import { TableScroll } from '../../components/TableScroll'
import { formatDuration, type Waterfall } from './timeline'

const STATUS_WORDS = { ok: 'ok', error: 'error', unset: '—' } as const

export function TraceTable({ waterfalls }: { waterfalls: readonly Waterfall[] }) {
  return (
    <div className="trace-tables" data-trace-table={waterfalls.length}>
      {waterfalls.map((waterfall) => {
        const names = new Map(waterfall.rows.map((row) => [row.span.spanId, row.span.name]))
        return (
          <TableScroll key={waterfall.traceId} label={`Trace of attempt ${waterfall.attempt}`}>
            <table className="data-table trace-table" data-trace-id={waterfall.traceId}>
              <caption>
                Attempt {waterfall.attempt} · {formatDuration(waterfall.durationMs)} · trace {waterfall.traceId}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Span</th>
                  <th scope="col">Within</th>
                  <th scope="col">Starts at</th>
                  <th scope="col">Takes</th>
                  <th scope="col">Status</th>
                  <th scope="col">Events</th>
                </tr>
              </thead>
              <tbody>
                {waterfall.rows.map((row) => (
                  <tr key={row.span.spanId} data-span={row.span.name} data-span-status={row.span.status}>
                    <th scope="row" style={{ paddingLeft: `${12 + row.depth * 14}px` }}>
                      {row.span.name}
                    </th>
                    <td>{(row.span.parentSpanId && names.get(row.span.parentSpanId)) ?? '—'}</td>
                    <td className="cell-time">+{formatDuration(row.offsetMs)}</td>
                    <td className="cell-time">{formatDuration(row.durationMs)}</td>
                    <td>
                      {STATUS_WORDS[row.span.status]}
                      {row.span.statusMessage && <span className="muted"> · {row.span.statusMessage}</span>}
                    </td>
                    <td>{row.ticks.length ? row.ticks.map((tick) => `${tick.name} at +${formatDuration(tick.offsetMs)}`).join(', ') : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )
      })}
    </div>
  )
}
