import { readdirSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'electron-vite'
import type { Plugin } from 'vite'

/** Each store's migrations, by the folder they go to beside the bundle (store/sqlite/db/migrate.ts and store/postgres/migrate.ts look there). */
const MIGRATIONS = {
  migrations: resolve(__dirname, 'src/main/store/sqlite/db/migrations'),
  'postgres-migrations': resolve(__dirname, 'src/main/store/postgres/migrations'),
}

/** The SQL migrations are read from disk beside the code that applies them: ship them beside the bundle. */
function copyMigrations(): Plugin {
  return {
    name: 'genops-copy-migrations',
    generateBundle() {
      for (const [folder, source] of Object.entries(MIGRATIONS)) {
        for (const file of readdirSync(source).filter((name) => name.endsWith('.sql'))) {
          this.emitFile({ type: 'asset', fileName: `${folder}/${file}`, source: readFileSync(resolve(source, file), 'utf8') })
        }
      }
    },
  }
}

/** The price list and the default alert rules are read from disk (costs/pricing.ts, alerts/rules.ts), so an operator can see what the build ships: beside the bundle too. */
function copyResources(): Plugin {
  return {
    name: 'genops-copy-resources',
    generateBundle() {
      for (const file of ['pricing.json', 'alerts.json']) {
        this.emitFile({ type: 'asset', fileName: `resources/${file}`, source: readFileSync(resolve(__dirname, 'resources', file), 'utf8') })
      }
    },
  }
}

export default defineConfig({
  main: {
    plugins: [copyMigrations(), copyResources()],
    build: {
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          cli: resolve(__dirname, 'src/main/cli.ts'),
          attempt: resolve(__dirname, 'src/workers/attempt.ts'),
          'checkpoint-thread': resolve(__dirname, 'src/main/store/sqlite/db/checkpoint-thread.ts'),
          'integrity-thread': resolve(__dirname, 'src/main/store/sqlite/db/integrity-thread.ts'),
          'intake-thread': resolve(__dirname, 'src/main/intake/intake-thread.ts'),
          'token-thread': resolve(__dirname, 'src/main/costs/token-thread.ts'),
        },
        // Every chunk beside the entries: paths.ts and migrate.ts resolve files relative to out/main.
        output: { entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload is one CommonJS file with its dependencies bundled in.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    plugins: [react()],
    build: {
      rollupOptions: { input: resolve(__dirname, 'src/renderer/index.html') },
    },
  },
})
