/**
 * Two runs of one input side by side: pick two batches, see their totals with the
 * difference, then each input row with both outputs and a word diff (jsdiff's diffWords),
 * tokens, cost, latency and whether the output passed its check; or only the rows that differ.
 */
import { useState, type FormEvent } from 'react'
import { diffWords } from 'diff'
import type { ComparedJob, ComparedRow, RunTotals } from '../../../../shared/batches'
import { usd } from '../../../../shared/costs'
import { TableScroll } from '../../components/TableScroll'
import { formatCount } from '../jobs/format'
import { useBatches } from './parts'

/** Longest outputs diffed word by word: past it, the two are shown as they are (a diff of long texts costs the window). */
const MAX_DIFF_CHARS = 20_000

function WordDiff({ a, b }: { a: string; b: string }) {
  if (a.length + b.length > MAX_DIFF_CHARS) return <span>{b}</span>
  return (
    <>
      {diffWords(a, b).map((part, i) =>
        part.added ? (
          <ins key={i} className="diff-added">
            {part.value}
          </ins>
        ) : part.removed ? (
          <del key={i} className="diff-removed">
            {part.value}
          </del>
        ) : (
          <span key={i}>{part.value}</span>
        ),
      )}
    </>
  )
}

const ms = (value: number | null) => (value === null ? '—' : `${Math.round(value)} ms`)
const pct = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)}%`)

function Totals({ a, b }: { a: RunTotals; b: RunTotals }) {
  const rows: [string, number | null, number | null, (n: number | null) => string][] = [
    ['Cost', a.costUsd, b.costUsd, (n) => (n === null ? '—' : usd(n))],
    ['p50 latency', a.p50LatencyMs, b.p50LatencyMs, ms],
    ['p95 latency', a.p95LatencyMs, b.p95LatencyMs, ms],
    ['Failure rate', a.failureRate, b.failureRate, pct],
    ['Output length', a.meanOutputChars, b.meanOutputChars, (n) => (n === null ? '—' : `${Math.round(n)} chars`)],
  ]
  return (
    <table className="data-table compare-totals">
      <thead>
        <tr>
          <th scope="col">Total</th>
          <th scope="col">A: batch {a.batchId}</th>
          <th scope="col">B: batch {b.batchId}</th>
          <th scope="col">B − A</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([name, x, y, format]) => (
          <tr key={name}>
            <th scope="row">{name}</th>
            <td className="cell-number">{format(x)}</td>
            <td className="cell-number">{format(y)}</td>
            <td className="cell-number">{x === null || y === null ? '—' : `${y - x >= 0 ? '+' : '−'}${format(Math.abs(y - x))}`}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function Side({ job }: { job: ComparedJob | null }) {
  if (!job) return <span className="muted">no match</span>
  return (
    <span className="muted compare-figures">
      {job.state}
      {job.validation && ` · check ${job.validation}`} · {formatCount(job.inputTokens)}/{formatCount(job.outputTokens)} tokens · {usd(job.costUsd)} ·{' '}
      {ms(job.latencyMs)}
    </span>
  )
}

function Row({ row }: { row: ComparedRow }) {
  return (
    <tr data-compare-row={row.key} data-same={row.same}>
      <th scope="row" className="cell-mono">
        {row.key}
      </th>
      <td className="compare-output">
        <div>{row.a?.output ?? ''}</div>
        <Side job={row.a} />
      </td>
      <td className="compare-output">
        <div>
          {row.a?.output !== undefined && row.b?.output !== undefined ? <WordDiff a={row.a.output ?? ''} b={row.b.output ?? ''} /> : (row.b?.output ?? '')}
        </div>
        <Side job={row.b} />
      </td>
    </tr>
  )
}

export function CompareRuns() {
  const batches = useBatches((state) => state.batches)
  const pick = useBatches((state) => state.compare)
  const comparison = useBatches((state) => state.comparison)
  const comparing = useBatches((state) => state.comparing)
  const runComparison = useBatches((state) => state.runComparison)
  const [a, setA] = useState<string>('')
  const [b, setB] = useState<string>('')
  const [onlyDifferent, setOnlyDifferent] = useState(false)
  const chosenA = a || String(pick?.a ?? batches[1]?.id ?? '')
  const chosenB = b || String(pick?.b ?? batches[0]?.id ?? '')
  const submit = (event: FormEvent) => {
    event.preventDefault()
    void runComparison({ a: Number(chosenA), b: Number(chosenB), onlyDifferent })
  }
  if (batches.length < 2) return null
  return (
    <section className="panel" aria-labelledby="compare-title" data-compare-state={comparing}>
      <header className="panel-head">
        <h2 className="panel-title" id="compare-title">
          Compare two runs
        </h2>
        <span className="muted">the same input with another model, profile or config, matched row by row</span>
      </header>
      <form className="toolbar panel-body" onSubmit={submit} data-compare-form>
        <label className="field">
          <span className="field-label">Run A</span>
          <select value={chosenA} onChange={(event) => setA(event.target.value)} name="a">
            {batches.map((batch) => (
              <option key={batch.id} value={batch.id}>
                {batch.id}: {batch.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Run B</span>
          <select value={chosenB} onChange={(event) => setB(event.target.value)} name="b">
            {batches.map((batch) => (
              <option key={batch.id} value={batch.id}>
                {batch.id}: {batch.name}
              </option>
            ))}
          </select>
        </label>
        <label className="compare-only">
          <input type="checkbox" checked={onlyDifferent} onChange={(event) => setOnlyDifferent(event.target.checked)} name="different" />
          Only rows that differ
        </label>
        <button type="submit" className="button button-primary" disabled={comparing === 'busy' || chosenA === chosenB}>
          Compare
        </button>
      </form>
      {comparison && (
        <div className="panel-body" data-compared-rows={comparison.rows.length} data-matched-by={comparison.matchedBy}>
          <Totals a={comparison.a} b={comparison.b} />
          <p className="muted">
            {formatCount(comparison.rows.length)} rows matched by {comparison.matchedBy}; {formatCount(comparison.rows.filter((row) => !row.same).length)}{' '}
            differ{comparison.next !== null ? ' (the first page: `genops compare --csv` gives every row)' : ''}.
          </p>
          <TableScroll label="Compared rows">
            <table className="data-table compare-rows">
              <thead>
                <tr>
                  <th scope="col">Row</th>
                  <th scope="col">A: batch {comparison.a.batchId}</th>
                  <th scope="col">B: batch {comparison.b.batchId} (changes marked)</th>
                </tr>
              </thead>
              <tbody>
                {comparison.rows.map((row) => (
                  <Row key={row.key} row={row} />
                ))}
              </tbody>
            </table>
          </TableScroll>
        </div>
      )}
    </section>
  )
}
