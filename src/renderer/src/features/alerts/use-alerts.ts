/**
 * The alerts store for React, one per engine client: the top bar's badge and the alerts
 * screen share it, so the badge costs no requests of its own.
 */
import { useStore } from 'zustand'
import type { StoreApi } from 'zustand/vanilla'
import type { Client } from '../../api'
import { useClient } from '../../client'
import { createAlertsStore, type AlertsState } from './alerts'

const stores = new WeakMap<Client, StoreApi<AlertsState>>()

export function useAlertsStore(): StoreApi<AlertsState> {
  const client = useClient()
  let store = stores.get(client)
  if (!store) {
    store = createAlertsStore(client)
    stores.set(client, store)
  }
  return store
}

export function useAlerts<T>(selector: (state: AlertsState) => T): T {
  return useStore(useAlertsStore(), selector)
}
