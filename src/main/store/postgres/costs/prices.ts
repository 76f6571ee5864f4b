/** The operator's price overrides on PostgreSQL, shared by every engine and CLI on the database. */
import type { Price } from '../../../../shared/costs'
import type { PriceOverride } from '../../../costs/store'
import { toPrice, type PriceRow } from '../../sqlite/costs/prices'
import type { Queryable } from '../transaction'

export async function priceOverrides(client: Queryable): Promise<Price[]> {
  const { rows } = await client.query<PriceRow>({
    text: 'SELECT provider, model, input_per_million, output_per_million, set_at FROM price_overrides ORDER BY provider COLLATE "C", model COLLATE "C"',
    rowMode: 'array',
  })
  return rows.map(toPrice)
}

export async function setPriceOverride(client: Queryable, price: PriceOverride, now: number): Promise<Price> {
  await client.query(
    `INSERT INTO price_overrides (provider, model, input_per_million, output_per_million, set_at) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (provider, model) DO UPDATE SET input_per_million = excluded.input_per_million,
      output_per_million = excluded.output_per_million, set_at = excluded.set_at`,
    [price.provider, price.model, price.inputPerMillion, price.outputPerMillion, now],
  )
  return toPrice([price.provider, price.model, price.inputPerMillion, price.outputPerMillion, now])
}

export async function removePriceOverride(client: Queryable, provider: string, model: string): Promise<boolean> {
  return ((await client.query('DELETE FROM price_overrides WHERE provider = $1 AND model = $2', [provider, model])).rowCount ?? 0) > 0
}
