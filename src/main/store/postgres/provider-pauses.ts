/** Paused providers on PostgreSQL: an operator's pause holds a provider's jobs on every engine until it is resumed. */
import type { ProviderPause } from '../../../shared/resilience'
import type { Queryable } from './transaction'

export async function providerPauses(client: Queryable): Promise<ProviderPause[]> {
  const { rows } = await client.query<{ provider: string; reason: string; paused_at: number }>(
    'SELECT provider, reason, paused_at FROM provider_pauses ORDER BY provider COLLATE "C"',
  )
  return rows.map((row) => ({ provider: row.provider, reason: row.reason, pausedAt: row.paused_at }))
}

export async function pauseProvider(client: Queryable, provider: string, reason: string, now: number): Promise<void> {
  await client.query(
    `INSERT INTO provider_pauses (provider, reason, paused_at) VALUES ($1, $2, $3)
    ON CONFLICT (provider) DO UPDATE SET reason = excluded.reason, paused_at = excluded.paused_at`,
    [provider, reason, now],
  )
}

export async function resumeProvider(client: Queryable, provider: string): Promise<boolean> {
  const result = await client.query('DELETE FROM provider_pauses WHERE provider = $1', [provider])
  return (result.rowCount ?? 0) > 0
}
