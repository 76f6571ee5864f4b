/** Each attempt's trace as a waterfall: spans as bars from the trace's start, nested under their parent, events (the first token) as ticks. */
import type { TraceSpan } from '../../../../shared/traces'
import { formatDuration, layoutTrace } from './timeline'

export function TraceWaterfall({ spans }: { spans: readonly TraceSpan[] }) {
  const waterfalls = layoutTrace(spans)
  return (
    <div className="waterfalls" data-waterfall={waterfalls.length}>
      {waterfalls.map((waterfall) => (
        <figure key={waterfall.traceId} className="waterfall" data-trace-id={waterfall.traceId}>
          <figcaption>
            Attempt {waterfall.attempt} · {formatDuration(waterfall.durationMs)} · <span className="muted">trace {waterfall.traceId}</span>
          </figcaption>
          {waterfall.rows.map((row) => (
            <div key={row.span.spanId} className="span-row" data-span={row.span.name} data-span-status={row.span.status}>
              <span className="span-name" style={{ paddingLeft: `${row.depth * 14}px` }} title={row.span.statusMessage ?? row.span.name}>
                {row.span.name}
              </span>
              <span className="time-axis">
                <span className={`time-bar span-bar span-${row.span.status}`} style={{ left: `${row.left * 100}%`, width: `${row.width * 100}%` }} />
                {row.ticks.map((tick) => (
                  <span
                    key={`${tick.name}-${tick.offsetMs}`}
                    className="span-tick"
                    data-event={tick.name}
                    title={`${tick.name} at ${formatDuration(tick.offsetMs)}`}
                    style={{ left: `${tick.at * 100}%` }}
                  />
                ))}
              </span>
              <span className="span-duration">{formatDuration(row.durationMs)}</span>
            </div>
          ))}
        </figure>
      ))}
    </div>
  )
}
