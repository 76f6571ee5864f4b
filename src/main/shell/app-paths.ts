/**
 * Where the desktop app finds what it ships, from source, from `npm start` and packaged.
 * Pure (no electron): the packaging test checks these against electron-builder.js.
 */
import { join } from 'node:path'

/** better-sqlite3 built for Electron, as electron-builder.js ships it into the resources folder. */
export const PACKAGED_SQLITE_BINDING = 'better_sqlite3.node'

/**
 * The better-sqlite3 native module the engine should load in Electron: the packaged app's
 * own copy, or the one scripts/desktop.js built and named in GENOPS_SQLITE_BINDING; else
 * the package's (which only loads if it was built for this Electron).
 */
export function electronSqliteBinding(packaged: boolean, resourcesPath: string, env: NodeJS.ProcessEnv): string | undefined {
  return packaged ? join(resourcesPath, PACKAGED_SQLITE_BINDING) : env.GENOPS_SQLITE_BINDING
}

/** resources/icons, from out/main: the repository's in development, inside app.asar when packaged. */
export const iconsDirFor = (outMainDir: string): string => join(outMainDir, '../../resources/icons')
