/** The report: totals with tokens, unpriced usage said in words, the engine's notes, and one row per provider, model, day, batch or tag. */
import { usd, type CostRow, type CostTotals } from '../../../../shared/costs'
import { plural } from '../../words'
import { formatCount } from '../jobs/format'
import { BY_LABELS } from './report'
import { useCosts } from './use-costs'
import { TableScroll } from '../../components/TableScroll'

function Totals({ total }: { total: CostTotals }) {
  return (
    <dl className="cost-totals" data-total-attempts={total.attempts}>
      <div>
        <dt>Cost</dt>
        <dd data-total-cost={total.costUsd ?? ''}>{usd(total.costUsd)}</dd>
      </div>
      <div>
        <dt>Input tokens</dt>
        <dd data-total-input={total.inputTokens}>{formatCount(total.inputTokens)}</dd>
      </div>
      <div>
        <dt title="Input read from the provider's prompt cache, priced at its cached-input rate">Cached input</dt>
        <dd data-total-cached-input={total.cachedInputTokens}>{formatCount(total.cachedInputTokens)}</dd>
      </div>
      <div>
        <dt title="Input written to the provider's prompt cache (Anthropic), priced at its cache-write rate">Cache write</dt>
        <dd data-total-cache-write={total.cacheWriteTokens}>{formatCount(total.cacheWriteTokens)}</dd>
      </div>
      <div>
        <dt>Output tokens</dt>
        <dd>{formatCount(total.outputTokens)}</dd>
      </div>
      <div>
        <dt>Attempts</dt>
        <dd>{formatCount(total.attempts)}</dd>
      </div>
    </dl>
  )
}

function Unpriced({ total }: { total: CostTotals }) {
  if (total.unpricedAttempts === 0) return null
  return (
    <p className="banner banner-warning cost-unpriced" role="status" data-unpriced={total.unpricedAttempts}>
      {plural(total.unpricedAttempts, 'attempt')} used a model with no price: {total.unpricedAttempts === 1 ? 'its' : 'their'} tokens are counted, but{' '}
      {total.unpricedAttempts === 1 ? 'its' : 'their'} cost is not in these totals. Set a price for the model under Prices to include it.
    </p>
  )
}

function Row({ row }: { row: CostRow }) {
  return (
    <tr data-cost-row={row.key}>
      <td>
        <span className="cell-mono">{row.key}</span>
        {row.label && <span className="muted"> · {row.label}</span>}
      </td>
      <td className="cell-number">{formatCount(row.attempts)}</td>
      <td className="cell-number">{formatCount(row.inputTokens)}</td>
      <td className="cell-number">{formatCount(row.cachedInputTokens)}</td>
      <td className="cell-number">{formatCount(row.cacheWriteTokens)}</td>
      <td className="cell-number">{formatCount(row.outputTokens)}</td>
      <td className="cell-number">
        {usd(row.costUsd)}
        {row.unpricedAttempts > 0 && (
          <span className="badge badge-warn cost-flag" title="Attempts whose model has no price: their cost is left out">
            {formatCount(row.unpricedAttempts)} unpriced
          </span>
        )}
      </td>
    </tr>
  )
}

export function Report() {
  const report = useCosts((state) => state.report)
  const by = useCosts((state) => state.by)
  if (!report) return null
  return (
    <section className="panel" aria-labelledby="report-title" data-report-by={report.by} data-report-rows={report.rows.length}>
      <header className="panel-head">
        <h2 className="panel-title" id="report-title">
          By {BY_LABELS[by].toLowerCase()}
        </h2>
        <span className="muted">
          {new Date(report.since).toLocaleString()} to {new Date(report.until).toLocaleString()}
        </span>
      </header>
      <div className="panel-body">
        <Totals total={report.total} />
        <Unpriced total={report.total} />
        {report.notes.length > 0 && (
          <ul className="cost-notes">
            {report.notes.map((note) => (
              <li key={note}>{note}</li>
            ))}
          </ul>
        )}
      </div>
      {report.rows.length === 0 ? (
        <p className="empty">No attempts in this range yet: jobs show here once an attempt has run, with their tokens and cost.</p>
      ) : (
        <TableScroll label="Cost report">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">{BY_LABELS[by]}</th>
                <th scope="col">Attempts</th>
                <th scope="col">Input tokens</th>
                <th scope="col">Cached input</th>
                <th scope="col">Cache write</th>
                <th scope="col">Output tokens</th>
                <th scope="col">Cost</th>
              </tr>
            </thead>
            <tbody>
              {report.rows.map((row) => (
                <Row key={row.key} row={row} />
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  )
}
