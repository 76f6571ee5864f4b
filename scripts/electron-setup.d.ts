// Types for scripts/electron-setup.js, so the TypeScript tests import it checked.
export function electronPackageDir(root: string, env?: NodeJS.ProcessEnv): string
export function electronVersion(electronDir: string): string
export function installedElectron(electronDir: string, env?: NodeJS.ProcessEnv): string | null
export function shortReason(output: string, status: number | null): string
export function fetchElectron(electronDir: string, env?: NodeJS.ProcessEnv): { ok: true } | { ok: false; reason: string }
export function electronSqliteBinding(root: string, version: string): string
export function buildSqliteForElectron(root: string, version: string, env?: NodeJS.ProcessEnv): string
