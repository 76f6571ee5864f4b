/**
 * Starts one of the database's own threads (the checkpointer, the integrity check) from
 * its entry file: the built JavaScript beside the bundle, or the TypeScript source under
 * tsx and vitest.
 */
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'

export function startThread(threadFile: string, workerData: unknown): Worker {
  if (!threadFile.endsWith('.ts')) return new Worker(threadFile, { workerData })
  // Node 20 does not apply `--import tsx` to a worker's entry, so a one-line JavaScript entry loads it through tsx's API.
  const url = JSON.stringify(pathToFileURL(threadFile).href)
  return new Worker(`import('tsx/esm/api').then((tsx) => tsx.tsImport(${url}, ${url}))`, { eval: true, workerData })
}
