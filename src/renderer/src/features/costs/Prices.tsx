/**
 * Prices in use, per million tokens, with the day each was taken: the operator's overrides
 * (which can be removed) and the list prices they leave; set an override for any provider
 * and model (or `*`: the provider's models without a price of their own).
 */
import { useState, type FormEvent } from 'react'
import { usd, type Price } from '../../../../shared/costs'
import { useCosts } from './use-costs'
import { TableScroll } from '../../components/TableScroll'

/** A token class's price; one the price does not name is charged as plain input. */
const classPrice = (perMillion: number | undefined) => (perMillion === undefined ? <span className="muted">as input</span> : usd(perMillion))

function PriceRow({ price }: { price: Price }) {
  const remove = useCosts((state) => state.removePrice)
  const busy = useCosts((state) => state.busy !== null)
  return (
    <tr data-price={`${price.provider}/${price.model}`} data-source={price.source}>
      <td className="cell-mono">{price.provider}</td>
      <td className="cell-mono">{price.model === '*' ? '* (its other models)' : price.model}</td>
      <td className="cell-number">{usd(price.inputPerMillion)}</td>
      <td className="cell-number">{classPrice(price.cachedInputPerMillion)}</td>
      <td className="cell-number">{classPrice(price.cacheWritePerMillion)}</td>
      <td className="cell-number">{usd(price.outputPerMillion)}</td>
      <td className="cell-time">{price.asOf}</td>
      <td>
        <span className={`badge ${price.source === 'override' ? 'badge-warn' : 'badge-neutral'}`}>
          {price.source === 'override' ? 'your price' : 'list price'}
        </span>
      </td>
      <td className="cell-actions">
        {price.source === 'override' && (
          <button type="button" className="button button-small button-danger" disabled={busy} onClick={() => void remove(price)}>
            Remove
          </button>
        )}
      </td>
    </tr>
  )
}

function PriceForm() {
  const save = useCosts((state) => state.savePrice)
  const busy = useCosts((state) => state.busy !== null)
  const [provider, setProvider] = useState('')
  const [model, setModel] = useState('')
  const [input, setInput] = useState('')
  const [output, setOutput] = useState('')
  const [problem, setProblem] = useState<string | null>(null)

  async function submit(event: FormEvent) {
    event.preventDefault()
    const inputPerMillion = Number(input)
    const outputPerMillion = Number(output)
    if (!provider.trim() || !model.trim()) return setProblem('Name the provider (kind or profile) and the model, or * for all its models.')
    if (input.trim() === '' || output.trim() === '' || !(inputPerMillion >= 0) || !(outputPerMillion >= 0))
      return setProblem('Prices are USD per million tokens, 0 or more, like 2.5.')
    setProblem(null)
    if (await save({ provider: provider.trim(), model: model.trim(), inputPerMillion, outputPerMillion })) {
      setInput('')
      setOutput('')
    }
  }

  return (
    <form className="toolbar" onSubmit={(event) => void submit(event)} data-price-form>
      <label className="field">
        <span className="field-label">Provider</span>
        <input value={provider} onChange={(event) => setProvider(event.target.value)} name="provider" placeholder="openai" size={12} />
      </label>
      <label className="field">
        <span className="field-label">Model</span>
        <input value={model} onChange={(event) => setModel(event.target.value)} name="model" placeholder="gpt-4o or *" size={16} />
      </label>
      <label className="field">
        <span className="field-label">Input, per million</span>
        <input inputMode="decimal" value={input} onChange={(event) => setInput(event.target.value)} name="inputPerMillion" placeholder="2.50" size={8} />
      </label>
      <label className="field">
        <span className="field-label">Output, per million</span>
        <input inputMode="decimal" value={output} onChange={(event) => setOutput(event.target.value)} name="outputPerMillion" placeholder="10.00" size={8} />
      </label>
      <button type="submit" className="button button-primary" disabled={busy}>
        Set price
      </button>
      {problem && (
        <p className="form-problem field-wide" role="alert">
          {problem}
        </p>
      )}
    </form>
  )
}

export function Prices() {
  const prices = useCosts((state) => state.prices)
  const overrides = prices.filter((price) => price.source === 'override')
  const list = prices.filter((price) => price.source === 'list')
  return (
    <section className="panel" aria-labelledby="prices-title" data-prices={prices.length} data-overrides={overrides.length}>
      <header className="panel-head">
        <h2 className="panel-title" id="prices-title">
          Prices
        </h2>
        <span className="muted">USD per million tokens; list prices change, so each says when it was taken</span>
      </header>
      <PriceForm />
      <TableScroll label="Prices">
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Model</th>
              <th scope="col">Input</th>
              <th scope="col" title="Input read from the provider's prompt cache">
                Cached input
              </th>
              <th scope="col" title="Input written to the provider's prompt cache (Anthropic)">
                Cache write
              </th>
              <th scope="col">Output</th>
              <th scope="col">As of</th>
              <th scope="col">Source</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {[...overrides, ...list].map((price) => (
              <PriceRow key={`${price.source}:${price.provider}/${price.model}`} price={price} />
            ))}
          </tbody>
        </table>
      </TableScroll>
    </section>
  )
}
