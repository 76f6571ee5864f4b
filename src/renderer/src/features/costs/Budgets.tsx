/** Budgets: the UTC day's and each batch's, what each has spent, whether it was crossed; add one (alert or pause), or remove one. */
import { useState, type FormEvent } from 'react'
import { usd, type Budget } from '../../../../shared/costs'
import { formatCreated } from '../jobs/format'
import { budgetName } from './costs'
import { useCosts } from './use-costs'

function BudgetRow({ budget }: { budget: Budget }) {
  const remove = useCosts((state) => state.removeBudget)
  const busy = useCosts((state) => state.busy !== null)
  const share = budget.limitUsd > 0 ? Math.min(1, budget.spentUsd / budget.limitUsd) : 0
  const key = budget.scope === 'day' ? 'day' : `batch-${budget.batchId}`
  return (
    <tr data-budget={key} data-crossed={budget.crossedAt !== null}>
      <td>{budget.scope === 'day' ? 'Each day (UTC)' : `Batch ${budget.batchId}`}</td>
      <td className="cell-number">{usd(budget.limitUsd)}</td>
      <td className="cell-number">
        <span className="budget-spent">
          {usd(budget.spentUsd)}
          <span className="progress budget-bar" aria-hidden="true">
            <span className="progress-fill" style={{ width: `${Math.round(share * 100)}%` }} />
          </span>
        </span>
      </td>
      <td>{budget.action === 'pause' ? (budget.scope === 'day' ? 'alert and pause the queue' : 'alert and pause the batch') : 'alert'}</td>
      <td>
        {budget.crossedAt === null ? (
          <span className="muted">not crossed</span>
        ) : (
          <span className="badge badge-fail" title={new Date(budget.crossedAt).toLocaleString()}>
            crossed {formatCreated(budget.crossedAt)}
          </span>
        )}
      </td>
      <td className="cell-actions">
        <button
          type="button"
          className="button button-small button-danger"
          disabled={busy}
          aria-label={`Remove ${budgetName(budget)}`}
          onClick={() => void remove(budget)}
        >
          Remove
        </button>
      </td>
    </tr>
  )
}

function BudgetForm() {
  const save = useCosts((state) => state.saveBudget)
  const busy = useCosts((state) => state.busy !== null)
  const [scope, setScope] = useState<'day' | 'batch'>('day')
  const [batchId, setBatchId] = useState('')
  const [limit, setLimit] = useState('')
  const [action, setAction] = useState<'alert' | 'pause'>('alert')
  const [problem, setProblem] = useState<string | null>(null)

  async function submit(event: FormEvent) {
    event.preventDefault()
    const limitUsd = Number(limit)
    const batch = Number(batchId)
    if (!(limitUsd > 0)) return setProblem('The limit is an amount in USD above 0, like 5 or 0.50.')
    if (scope === 'batch' && !(Number.isInteger(batch) && batch > 0)) return setProblem('A batch budget needs the batch number (the Jobs screen shows it).')
    setProblem(null)
    const saved = await save(scope === 'day' ? { scope, limitUsd, action } : { scope, batchId: batch, limitUsd, action })
    if (saved) setLimit('')
  }

  return (
    <form className="toolbar" onSubmit={(event) => void submit(event)} data-budget-form>
      <label className="field">
        <span className="field-label">For</span>
        <select value={scope} onChange={(event) => setScope(event.target.value as 'day' | 'batch')} name="scope">
          <option value="day">Each day (UTC)</option>
          <option value="batch">One batch</option>
        </select>
      </label>
      {scope === 'batch' && (
        <label className="field">
          <span className="field-label">Batch</span>
          <input inputMode="numeric" value={batchId} onChange={(event) => setBatchId(event.target.value)} name="batchId" placeholder="12" size={6} />
        </label>
      )}
      <label className="field">
        <span className="field-label">Limit (USD)</span>
        <input inputMode="decimal" value={limit} onChange={(event) => setLimit(event.target.value)} name="limitUsd" placeholder="5.00" size={8} />
      </label>
      <label className="field">
        <span className="field-label">When crossed</span>
        <select value={action} onChange={(event) => setAction(event.target.value as 'alert' | 'pause')} name="action">
          <option value="alert">Alert</option>
          <option value="pause">Alert and pause</option>
        </select>
      </label>
      <button type="submit" className="button button-primary budget-save" disabled={busy}>
        Save budget
      </button>
      {problem && (
        <p className="form-problem field-wide" role="alert">
          {problem}
        </p>
      )}
    </form>
  )
}

export function Budgets() {
  const budgets = useCosts((state) => state.budgets)
  return (
    <section className="panel" aria-labelledby="budgets-title" data-budgets={budgets.length}>
      <header className="panel-head">
        <h2 className="panel-title" id="budgets-title">
          Budgets
        </h2>
        <span className="muted">crossing one raises an alert, and with pause stops new jobs of the queue or the batch</span>
      </header>
      <BudgetForm />
      {budgets.length === 0 ? (
        <p className="panel-body muted">No budgets: set one for each day or for a batch.</p>
      ) : (
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">For</th>
              <th scope="col">Limit</th>
              <th scope="col">Spent</th>
              <th scope="col">When crossed</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {budgets.map((budget) => (
              <BudgetRow key={budget.scope === 'day' ? 'day' : `batch-${budget.batchId}`} budget={budget} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
