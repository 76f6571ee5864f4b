/** The settings screen's store for its parts: made by the screen with the app's client, read below it with a selector. */
import { createContext, createElement, useContext, type ReactNode } from 'react'
import { useStore } from 'zustand'
import type { StoreApi } from 'zustand/vanilla'
import type { SettingsState } from './settings'

const SettingsContext = createContext<StoreApi<SettingsState> | null>(null)

export function SettingsProvider({ store, children }: { store: StoreApi<SettingsState>; children: ReactNode }) {
  return createElement(SettingsContext.Provider, { value: store }, children)
}

export function useSettings<T>(selector: (state: SettingsState) => T): T {
  const store = useContext(SettingsContext)
  if (!store) throw new Error('useSettings: no SettingsProvider above this component')
  return useStore(store, selector)
}
