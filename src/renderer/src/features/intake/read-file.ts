/**
 * A dropped file's bytes as base64, the way the contract carries them. FileReader does the
 * reading and the encoding natively, off the page's script, and reports progress; a
 * cancelled drop aborts it.
 */

export type ReadFile = (file: File, onProgress: (loadedBytes: number) => void, signal: AbortSignal) => Promise<string>

export const readAsBase64: ReadFile = (file, onProgress, signal) =>
  new Promise<string>((resolve, reject) => {
    const reader = new FileReader()
    const abort = () => reader.abort()
    signal.addEventListener('abort', abort, { once: true })
    reader.onprogress = (event) => onProgress(event.loaded)
    reader.onload = () => {
      signal.removeEventListener('abort', abort)
      const url = String(reader.result)
      // data:<type>;base64,<content>: the content is all that travels.
      resolve(url.slice(url.indexOf(',') + 1))
    }
    reader.onerror = () => {
      signal.removeEventListener('abort', abort)
      reject(new Error(reader.error?.message ?? 'the browser could not read it'))
    }
    reader.onabort = () => reject(new DOMException('the drop was cancelled', 'AbortError'))
    reader.readAsDataURL(file)
  })
