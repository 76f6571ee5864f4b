/**
 * A first batch for an empty queue: a few prompts on the built-in simulator, so an operator
 * sees jobs run, fail once and retry, before pointing GenOps at a real provider.
 */
import { useState } from 'react'
import type { JobSpec } from '../../../../shared/jobs'
import { useClient } from '../../client'
import { problemOf } from '../../stores/queue'

const TOPICS = ['a release note for version 2.4', 'a haiku about queues', 'three test cases for a login form', 'a product description for a desk lamp']

export const SAMPLE_JOBS: JobSpec[] = Array.from({ length: 12 }, (_, i) => ({
  prompt: `Write ${TOPICS[i % TOPICS.length]} (sample ${i + 1}).`,
  provider: 'sim',
  tags: ['sample'],
  // Long enough to watch them run; every fourth fails once and is retried.
  config: { latencyMs: 800 + (i % 4) * 400, ...(i % 4 === 3 ? { failAttempts: 1 } : {}) },
}))

/** Enqueues the sample batch; says how it went. */
export function useTrySimulator(): { run(): void; state: 'idle' | 'working' | 'failed'; message: string | null } {
  const client = useClient()
  const [status, setStatus] = useState<{ state: 'idle' | 'working' | 'failed'; message: string | null }>({ state: 'idle', message: null })
  return {
    ...status,
    run() {
      setStatus({ state: 'working', message: null })
      client.enqueueJobs({ jobs: SAMPLE_JOBS, batchName: 'simulator samples' }).then(
        () => setStatus({ state: 'idle', message: null }),
        (error: unknown) => setStatus({ state: 'failed', message: `Could not enqueue the samples: ${problemOf(error).message}` }),
      )
    },
  }
}
