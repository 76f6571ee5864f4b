import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { z } from 'zod'
import { createClient } from './api'
import { App } from './App'
import { ClientProvider } from './client'
import { createQueueStore } from './stores/queue'
import { QueueProvider } from './stores/use-queue'
import './styles.css'

// zod probes for eval to compile fast parsers; under our CSP that probe is a reported violation.
z.config({ jitless: true })

const root = document.getElementById('root')
if (!root) throw new Error('index.html has no #root element')

const client = createClient()
const store = createQueueStore(client)

createRoot(root).render(
  <StrictMode>
    <ClientProvider client={client}>
      <QueueProvider store={store}>
        <App />
      </QueueProvider>
    </ClientProvider>
  </StrictMode>,
)
