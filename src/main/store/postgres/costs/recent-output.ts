/** What a provider and model answered lately, from the hourly rollups (store/sqlite/costs/recent-output.ts on PostgreSQL). */
import { RESOLUTION_MS } from '../../../../shared/costs'
import type { RecentOutput } from '../../../costs/store'
import type { Queryable } from '../transaction'

export const RECENT_OUTPUT = `SELECT coalesce(sum(completed), 0)::bigint AS completed, coalesce(sum(output_tokens), 0)::bigint AS "outputTokens"
  FROM usage_rollups WHERE resolution = ${RESOLUTION_MS['1h']} AND bucket >= $1 AND provider = $2 AND model = $3`

export async function recentOutput(client: Queryable, provider: string, model: string | null, since: number): Promise<RecentOutput> {
  const { rows } = await client.query<RecentOutput>(RECENT_OUTPUT, [since - (since % RESOLUTION_MS['1h']), provider, model ?? ''])
  return rows[0]!
}
