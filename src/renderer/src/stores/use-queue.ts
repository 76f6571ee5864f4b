/**
 * The queue store for React: provided once at the root (main.tsx makes it with the app's
 * client), read anywhere below with a selector.
 */
import { createContext, createElement, useContext, type ReactNode } from 'react'
import type { StoreApi } from 'zustand/vanilla'
import { useStore } from 'zustand'
import type { QueueState } from './queue'

const QueueContext = createContext<StoreApi<QueueState> | null>(null)

export function QueueProvider({ store, children }: { store: StoreApi<QueueState>; children: ReactNode }) {
  return createElement(QueueContext.Provider, { value: store }, children)
}

function useQueueStore(): StoreApi<QueueState> {
  const store = useContext(QueueContext)
  if (!store) throw new Error('useQueue: no QueueProvider above this component')
  return store
}

/** A slice of the queue state; the component re-renders when that slice changes. */
export function useQueue<T>(selector: (state: QueueState) => T): T {
  return useStore(useQueueStore(), selector)
}
