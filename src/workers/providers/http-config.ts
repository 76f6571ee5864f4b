/**
 * What the HTTP providers (openai, anthropic) share: the model a job must name, and their
 * clients, kept per endpoint and key. The config itself is checked by its schema
 * (shared/job-config) before a provider sees it; the endpoint and key by endpoint.ts.
 */
import { AttemptError } from '../../shared/errors'
import type { Reach } from './endpoint'

export function requireModel(provider: string, model: string | null): string {
  if (typeof model !== 'string' || model.trim() === '') throw new AttemptError('VALIDATION', `${provider}: the job names no model (set its model)`)
  return model.trim()
}

/** The worker's HTTP clients, one per endpoint and key, so connections are reused across attempts. */
export class ClientCache<T> {
  private readonly clients = new Map<string, T>()
  /** A handful of endpoints is normal; more means keys or URLs change, so old clients can go. */
  constructor(private readonly limit = 16) {}

  get({ url, key, jobChosen }: Reach, make: () => T): T {
    const id = `${url.href}\n${key}\n${jobChosen}`
    let client = this.clients.get(id)
    if (!client) {
      if (this.clients.size >= this.limit) this.clients.delete(this.clients.keys().next().value as string)
      client = make()
      this.clients.set(id, client)
    }
    return client
  }
}

/** Our own attempt limits stop a call (see workers/limits); the SDKs' header timeout is only a backstop against a silent server. */
export const SDK_TIMEOUT_MS = 60 * 60_000
