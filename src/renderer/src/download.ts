/**
 * Saves a blob as a file through an object URL on a link with `download`: the browser (or
 * Electron's download handling) saves it; no navigation happens, so the CSP and the
 * window's refusal to navigate are not in the way.
 */
export function downloadBlob(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = name
  link.hidden = true
  document.body.append(link)
  link.click()
  link.remove()
  // The download has taken the blob by the next task; revoking at once can cancel it in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

/** Text saved as a file (CSV unless said otherwise). */
export function downloadText(name: string, text: string, type = 'text/csv;charset=utf-8'): void {
  downloadBlob(name, new Blob([text], { type }))
}
