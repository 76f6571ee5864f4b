/** The costs screen's store for its parts: made by the screen with the app's client, read below it with a selector. */
import { createContext, createElement, useContext, type ReactNode } from 'react'
import { useStore } from 'zustand'
import type { StoreApi } from 'zustand/vanilla'
import type { CostsState } from './costs'

const CostsContext = createContext<StoreApi<CostsState> | null>(null)

export function CostsProvider({ store, children }: { store: StoreApi<CostsState>; children: ReactNode }) {
  return createElement(CostsContext.Provider, { value: store }, children)
}

export function useCosts<T>(selector: (state: CostsState) => T): T {
  const store = useContext(CostsContext)
  if (!store) throw new Error('useCosts: no CostsProvider above this component')
  return useStore(store, selector)
}
