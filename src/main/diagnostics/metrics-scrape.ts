/**
 * metrics.txt from a process that runs no engine (the CLI): what a running engine's
 * exporter on this machine serves, if one answers quickly. No answer is a note in the
 * file, not a problem: often nothing is running when a bundle is made.
 */

/** How long the CLI waits for the exporter. Short: a bundle is wanted now. */
export const SCRAPE_TIMEOUT_MS = 2_000

export async function scrapeMetrics(port: number, timeoutMs = SCRAPE_TIMEOUT_MS): Promise<string> {
  const url = `http://127.0.0.1:${port}/metrics`
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
    if (!response.ok) return `# no metrics: GET ${url} answered ${response.status} ${response.statusText}\n`
    return await response.text()
  } catch (error) {
    const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message
    return `# no metrics: no engine's exporter answered GET ${url} (${reason})\n`
  }
}
