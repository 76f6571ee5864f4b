/** The dashboard's store for its parts: made by the screen with the app's client, read below it with a selector. */
import { createContext, createElement, useContext, type ReactNode } from 'react'
import { useStore } from 'zustand'
import type { StoreApi } from 'zustand/vanilla'
import type { DashboardState } from './dashboard'

const DashboardContext = createContext<StoreApi<DashboardState> | null>(null)

export function DashboardProvider({ store, children }: { store: StoreApi<DashboardState>; children: ReactNode }) {
  return createElement(DashboardContext.Provider, { value: store }, children)
}

export function useDashboard<T>(selector: (state: DashboardState) => T): T {
  const store = useContext(DashboardContext)
  if (!store) throw new Error('useDashboard: no DashboardProvider above this component')
  return useStore(store, selector)
}
