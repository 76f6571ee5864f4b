/**
 * Polling: each open provider batch whose next poll is due, and which this engine holds
 * (by lease: one engine polls a batch; a restart or another engine takes over one whose
 * poller is gone), is asked for its status, with a wait that doubles between polls. An
 * ended batch is settled. Past its deadline a batch is cancelled first, then settled once
 * the provider says it has ended, and what it did not finish goes to the real-time lane:
 * nothing it finished is sent again, so no line is paid twice. A batch whose every job the
 * operator cancelled is cancelled at the provider at its next poll.
 */
import { redactSecrets } from '../../workers/classify'
import type { BatchApi } from './api'
import { nextPollDelay } from './options'
import type { LaneParts } from './parts'
import { recordSent } from './gather'
import { LeaseLost, settleEnded } from './settle'
import type { ProviderBatch } from './store'

/** The batch's API, with the key and base URL of the profile its jobs named (as their real-time attempts would). */
export function apiOf(parts: LaneParts, batch: Pick<ProviderBatch, 'provider' | 'kind' | 'model'>): BatchApi {
  const { endpoint } = parts.resolve({ provider: batch.provider, model: batch.model, config: {} })
  return parts.apiFor({ kind: batch.kind, endpoint })
}

/** One round: answers how many batches it asked about. */
export async function poll(parts: LaneParts, now: number): Promise<number> {
  // An accepted upload not yet recorded is recorded first: until it is, its batch looks never sent (and would be taken over).
  await recordSent(parts)
  const batches = await parts.store.leaseDue(parts.owner, now, parts.config.leaseMs, await parts.ownersGone())
  for (const batch of batches) {
    try {
      await pollOne(parts, batch)
    } catch (error) {
      // Not ours any more: the engine that took it over polls it.
      if (error instanceof LeaseLost) {
        parts.hooks.onError(error, 'settling a provider batch')
        continue
      }
      // The provider or the network failed this poll: the batch is asked again later, with the usual wait.
      parts.hooks.onError(new Error(`provider batch ${batch.remoteId ?? batch.id}: ${redactSecrets((error as Error).message)}`), 'polling a provider batch')
      const at = Date.now()
      await parts.store.polled(batch.id, batch.remoteStatus ?? 'unknown', at, at + nextPollDelay(parts.config, batch.polls))
    }
  }
  return batches.length
}

async function pollOne(parts: LaneParts, batch: ProviderBatch): Promise<void> {
  const { store, config } = parts
  if (batch.state === 'preparing' || batch.remoteId === null) {
    // Taken by an engine that stopped before the provider answered its upload: nothing is known there, so its lines go back.
    const ids = (await store.lines(batch.id)).map((line) => line.jobId)
    const now = Date.now()
    parts.hooks.onChanges(await store.requeue(batch.id, ids, now, false, 'its provider batch was never sent: the engine stopped during the upload'))
    await store.finish(batch.id, 'abandoned', now, ids.length, 'the engine stopped during the upload')
    return
  }
  const api = apiOf(parts, batch)
  const status = await api.status(batch.remoteId)
  const now = Date.now()
  const pastDeadline = batch.deadlineAt !== null && batch.deadlineAt <= now
  if (!status.ended) {
    // Every job of the batch cancelled by the operator: the provider stops working (and billing) on it too.
    const abandoned = batch.state === 'sent' && !(await store.hasOpenLines(batch.id))
    if ((pastDeadline || abandoned) && batch.state === 'sent') {
      // Cancel first and wait for the provider's final word: what it finished meanwhile is settled, not sent again.
      await api.cancel(batch.remoteId)
      await store.polled(batch.id, status.status, now, now + config.pollMinMs, 'cancelling')
      return
    }
    // The doubling wait never carries a poll past the deadline: the cancel is due then, not up to pollMaxMs later.
    const next = now + nextPollDelay(config, batch.polls)
    await store.polled(batch.id, status.status, now, batch.deadlineAt === null ? next : Math.max(now + config.pollMinMs, Math.min(next, batch.deadlineAt)))
    return
  }
  await store.polled(batch.id, status.status, now, now + config.pollMaxMs)
  const requeued = await settleEnded(parts, batch, api, status, batch.state === 'cancelling' || pastDeadline)
  await store.finish(batch.id, 'settled', Date.now(), requeued)
}
