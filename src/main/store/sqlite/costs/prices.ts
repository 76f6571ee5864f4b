/** The operator's price overrides, kept in the database so the app, headless mode and the CLI share them. */
import type { Database } from 'better-sqlite3'
import type { Price } from '../../../../shared/costs'
import { sql } from '../db/connection'
import type { PriceOverride } from '../../../costs/store'

export type PriceRow = [provider: string, model: string, input: number, output: number, setAt: number]

export const toPrice = ([provider, model, inputPerMillion, outputPerMillion, setAt]: PriceRow): Price => ({
  provider,
  model,
  inputPerMillion,
  outputPerMillion,
  asOf: new Date(setAt).toISOString().slice(0, 10),
  source: 'override',
})

export function priceOverrides(db: Database): Price[] {
  const rows = sql(db, 'SELECT provider, model, input_per_million, output_per_million, set_at FROM price_overrides ORDER BY provider, model')
    .raw()
    .all() as PriceRow[]
  return rows.map(toPrice)
}

export function setPriceOverride(db: Database, price: PriceOverride, now: number): Price {
  sql(
    db,
    `INSERT INTO price_overrides (provider, model, input_per_million, output_per_million, set_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (provider, model) DO UPDATE SET input_per_million = excluded.input_per_million,
      output_per_million = excluded.output_per_million, set_at = excluded.set_at`,
  ).run(price.provider, price.model, price.inputPerMillion, price.outputPerMillion, now)
  return toPrice([price.provider, price.model, price.inputPerMillion, price.outputPerMillion, now])
}

export function removePriceOverride(db: Database, provider: string, model: string): boolean {
  return sql(db, 'DELETE FROM price_overrides WHERE provider = ? AND model = ?').run(provider, model).changes > 0
}
