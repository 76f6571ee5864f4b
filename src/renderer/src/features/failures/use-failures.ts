/** The failures screen's store for its parts: made by the screen with the app's client, read below it with a selector. */
import { createContext, createElement, useContext, type ReactNode } from 'react'
import { useStore } from 'zustand'
import type { StoreApi } from 'zustand/vanilla'
import type { FailuresState } from './failures'

const FailuresContext = createContext<StoreApi<FailuresState> | null>(null)

export function FailuresProvider({ store, children }: { store: StoreApi<FailuresState>; children: ReactNode }) {
  return createElement(FailuresContext.Provider, { value: store }, children)
}

export function useFailures<T>(selector: (state: FailuresState) => T): T {
  const store = useContext(FailuresContext)
  if (!store) throw new Error('useFailures: no FailuresProvider above this component')
  return useStore(store, selector)
}
