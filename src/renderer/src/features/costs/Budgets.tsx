/** Budgets: per UTC day, batch, provider or profile, in USD or tokens; what each has spent and reserved, whether it was reached; add one (alert or pause), or remove one. */
import { useState, type FormEvent } from 'react'
import { BUDGET_SCOPES, budgetAmount, budgetName, type Budget, type BudgetUnit } from '../../../../shared/costs'
import { formatCreated } from '../jobs/format'
import { budgetKey } from './costs'
import { useCosts } from './use-costs'
import { TableScroll } from '../../components/TableScroll'

function BudgetRow({ budget }: { budget: Budget }) {
  const remove = useCosts((state) => state.removeBudget)
  const busy = useCosts((state) => state.busy !== null)
  const share = Math.min(1, budget.spent / budget.limit)
  const name = budgetName(budget)
  return (
    <tr data-budget={budgetKey(budget)} data-crossed={budget.crossedAt !== null}>
      <td>{name.charAt(0).toUpperCase() + name.slice(1)}</td>
      <td className="cell-number">{budgetAmount(budget.unit, budget.limit)}</td>
      <td className="cell-number">
        <span className="budget-spent">
          {budgetAmount(budget.unit, budget.spent)}
          {budget.reserved > 0 && <span className="muted"> (+{budgetAmount(budget.unit, budget.reserved)} reserved)</span>}
          <span className="progress budget-bar" aria-hidden="true">
            <span className="progress-fill" style={{ width: `${Math.round(share * 100)}%` }} />
          </span>
        </span>
      </td>
      <td>{budget.action === 'pause' ? 'alert, and hold attempts that could cross it' : 'alert at 50, 80 and 100 %'}</td>
      <td>
        {budget.crossedAt === null ? (
          <span className="muted">not reached</span>
        ) : (
          <span className="badge badge-fail" title={new Date(budget.crossedAt).toLocaleString()}>
            reached {formatCreated(budget.crossedAt)}
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

const SCOPE_LABELS: Record<Budget['scope'], string> = {
  day: 'Each day (UTC)',
  batch: 'One batch',
  provider: 'A provider, each day',
  profile: 'A profile, each day',
}

function BudgetForm() {
  const save = useCosts((state) => state.saveBudget)
  const busy = useCosts((state) => state.busy !== null)
  const [scope, setScope] = useState<Budget['scope']>('day')
  const [batchId, setBatchId] = useState('')
  const [target, setTarget] = useState('')
  const [unit, setUnit] = useState<BudgetUnit>('usd')
  const [limit, setLimit] = useState('')
  const [action, setAction] = useState<'alert' | 'pause'>('alert')
  const [problem, setProblem] = useState<string | null>(null)

  async function submit(event: FormEvent) {
    event.preventDefault()
    const amount = Number(limit.replace(/[_,\s]/g, ''))
    const batch = Number(batchId)
    if (!(amount > 0))
      return setProblem(unit === 'usd' ? 'The limit is an amount in USD above 0, like 5 or 0.50.' : 'The limit is a number of tokens above 0, like 100000.')
    if (unit === 'tokens' && !Number.isInteger(amount)) return setProblem('A token limit is a whole number.')
    if (scope === 'batch' && !(Number.isInteger(batch) && batch > 0)) return setProblem('A batch budget needs the batch number (the Jobs screen shows it).')
    if ((scope === 'provider' || scope === 'profile') && target.trim() === '') return setProblem(`A ${scope} budget needs the ${scope}'s name.`)
    setProblem(null)
    const saved = await save({
      scope,
      ...(scope === 'batch' && { batchId: batch }),
      ...((scope === 'provider' || scope === 'profile') && { target: target.trim() }),
      unit,
      limit: amount,
      action,
    })
    if (saved) setLimit('')
  }

  return (
    <form className="toolbar" onSubmit={(event) => void submit(event)} data-budget-form>
      <label className="field">
        <span className="field-label">For</span>
        <select value={scope} onChange={(event) => setScope(event.target.value as Budget['scope'])} name="scope">
          {BUDGET_SCOPES.map((value) => (
            <option key={value} value={value}>
              {SCOPE_LABELS[value]}
            </option>
          ))}
        </select>
      </label>
      {scope === 'batch' && (
        <label className="field">
          <span className="field-label">Batch</span>
          <input inputMode="numeric" value={batchId} onChange={(event) => setBatchId(event.target.value)} name="batchId" placeholder="12" size={6} />
        </label>
      )}
      {(scope === 'provider' || scope === 'profile') && (
        <label className="field">
          <span className="field-label">{scope === 'provider' ? 'Provider' : 'Profile'}</span>
          <input
            value={target}
            onChange={(event) => setTarget(event.target.value)}
            name="target"
            placeholder={scope === 'provider' ? 'openai' : 'work'}
            size={10}
          />
        </label>
      )}
      <label className="field">
        <span className="field-label">In</span>
        <select value={unit} onChange={(event) => setUnit(event.target.value as BudgetUnit)} name="unit">
          <option value="usd">USD</option>
          <option value="tokens">Tokens</option>
        </select>
      </label>
      <label className="field">
        <span className="field-label">Limit ({unit === 'usd' ? 'USD' : 'tokens'})</span>
        <input
          inputMode="decimal"
          value={limit}
          onChange={(event) => setLimit(event.target.value)}
          name="limit"
          placeholder={unit === 'usd' ? '5.00' : '100000'}
          size={8}
        />
      </label>
      <label className="field">
        <span className="field-label">When reached</span>
        <select value={action} onChange={(event) => setAction(event.target.value as 'alert' | 'pause')} name="action">
          <option value="alert">Alert</option>
          <option value="pause">Alert and hold</option>
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
        <span className="muted">told at 50, 80 and 100 %; with hold, no attempt starts that could take it past its limit</span>
      </header>
      <BudgetForm />
      {budgets.length === 0 ? (
        <p className="panel-body muted">No budgets: set one for each day, a batch, a provider or a profile.</p>
      ) : (
        <TableScroll label="Budgets">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">For</th>
                <th scope="col">Limit</th>
                <th scope="col">Spent</th>
                <th scope="col">When reached</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {budgets.map((budget) => (
                <BudgetRow key={budgetKey(budget)} budget={budget} />
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  )
}
