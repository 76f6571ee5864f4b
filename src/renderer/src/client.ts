/**
 * The engine client for every screen: made once in main.tsx, provided at the root, read
 * with `useClient()`. Screens' stores take it as an argument, so tests give them a fake.
 */
import { createContext, createElement, useContext, type ReactNode } from 'react'
import type { Client } from './api'

const ClientContext = createContext<Client | null>(null)

export function ClientProvider({ client, children }: { client: Client; children: ReactNode }) {
  return createElement(ClientContext.Provider, { value: client }, children)
}

export function useClient(): Client {
  const client = useContext(ClientContext)
  if (!client) throw new Error('useClient: no ClientProvider above this component')
  return client
}
