/**
 * Notices from the engine (a breaker opened, a provider was paused, a budget crossed), kept
 * for the operator until dismissed: the newest few, each once.
 */
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { EngineEvents } from '../../../../shared/contract'
import type { Client } from '../../api'

export type Notice = EngineEvents['notice'] & { id: number }

/** More than this and the oldest go: notices are for now, the log keeps history. */
export const MAX_NOTICES = 5

export interface NoticesState {
  notices: Notice[]
  dismiss(id: number): void
  /** Follows the engine's notices; returns the function that stops. */
  start(): () => void
}

export function createNoticesStore(client: Client): StoreApi<NoticesState> {
  let next = 1
  return createStore<NoticesState>((set, get) => ({
    notices: [],
    dismiss: (id) => set({ notices: get().notices.filter((notice) => notice.id !== id) }),
    start: () =>
      client.onEvent((event) => {
        if (event.type !== 'notice') return
        set({ notices: [...get().notices, { ...event.data, id: next++ }].slice(-MAX_NOTICES) })
      }),
  }))
}
