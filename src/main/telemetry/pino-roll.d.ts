/** pino-roll ships no types: what log.ts uses of it (a sonic-boom stream that rolls its file). */
declare module 'pino-roll' {
  import type { EventEmitter } from 'node:events'

  export interface RollingFile extends EventEmitter {
    /** The file being written now. */
    readonly file: string
    write(line: string): boolean
    flushSync(): void
    end(): void
    /** Closes the file at once, dropping what is buffered. */
    destroy(): void
  }

  export interface PinoRollOptions {
    /** The path before the rotation number: `logs/genops` writes logs/genops.1.log, logs/genops.2.log, ... */
    file: string
    /** Roll past this size: a number of MB, or a string with b, k, m or g. */
    size?: string | number
    frequency?: 'daily' | 'hourly' | number
    extension?: string
    symlink?: boolean
    /** Keep this many files; `removeOtherLogFiles` counts the files earlier processes left too. */
    limit?: { count: number; removeOtherLogFiles?: boolean }
    mkdir?: boolean
    /** The mode each new file is created with (sonic-boom's, applied on every roll). */
    mode?: number
    sync?: boolean
  }

  export default function build(options: PinoRollOptions): Promise<RollingFile>
}
