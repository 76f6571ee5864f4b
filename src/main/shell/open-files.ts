/**
 * Prompt files handed to the app (a second start, the dock, File › Open) become a preview,
 * exactly as a drop onto the window would: the window shows it and the operator enqueues
 * or cancels. No electron here: the shell sends the events this returns to the window.
 */
import { readFile, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { OperationError, type EngineEvent, type OperationName, type OperationOutput } from '../../shared/contract'
import { MAX_INTAKE_FILES, refusalBeforeUpload } from '../../shared/intake'

/** The part of the engine this needs: tests pass a real engine or a stand-in. */
export interface EngineCaller {
  call<K extends OperationName>(name: K, input?: unknown): Promise<OperationOutput<K>>
}

function reasonOf(error: unknown): string {
  if (error instanceof OperationError) return error.message
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (code === 'ENOENT') return 'no such file'
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied'
  if (code === 'EISDIR') return 'it is a folder'
  return error instanceof Error ? error.message : String(error)
}

/**
 * Reads `paths` and previews them as one intake, a file per call so a large file does not
 * travel with the others. Returns what the window should get: a notice per file that could
 * not be opened, then `filesOpened` with the preview of every file that could.
 */
export async function previewPromptFiles(engine: EngineCaller, paths: readonly string[], now: () => number = Date.now): Promise<EngineEvent[]> {
  const events: EngineEvent[] = []
  const notice = (message: string) => events.push({ type: 'notice', data: { level: 'warning', message, at: now() } })
  if (paths.length > MAX_INTAKE_FILES) notice(`Opened the first ${MAX_INTAKE_FILES} of ${paths.length} files: a drop holds at most ${MAX_INTAKE_FILES}.`)

  let preview: OperationOutput<'previewIntake'> | undefined
  for (const path of paths.slice(0, MAX_INTAKE_FILES)) {
    const name = basename(path)
    try {
      const { size, isFile } = await stat(path).then((found) => ({ size: found.size, isFile: found.isFile() }))
      if (!isFile) throw Object.assign(new Error('not a file'), { code: 'EISDIR' })
      const refusal = refusalBeforeUpload(name, size)
      if (refusal) {
        notice(`Could not open ${refusal}`)
        continue
      }
      const contentBase64 = (await readFile(path)).toString('base64')
      preview = await engine.call('previewIntake', { intakeId: preview?.intakeId, files: [{ name, contentBase64 }] })
    } catch (error) {
      notice(`Could not open ${name}: ${reasonOf(error)}`)
    }
  }
  if (preview) events.push({ type: 'filesOpened', data: preview })
  return events
}
