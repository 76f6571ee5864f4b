// Packaging (`npm run dist`): installers for Linux (AppImage, deb), macOS (dmg) and
// Windows (nsis). JavaScript rather than YAML so the Electron version, and with it the
// better-sqlite3 build made for it, is read from one place. test/shell/packaging.test.ts
// checks every path named here against a build.
import { readFileSync } from 'node:fs'

const electronVersion = JSON.parse(readFileSync(new URL('./node_modules/electron/package.json', import.meta.url), 'utf8')).version

/** @type {import('electron-builder').Configuration} */
export default {
  appId: 'dev.genops.desktop',
  productName: 'GenOps',
  electronVersion,
  directories: { output: 'dist', buildResources: 'build' },
  // Production dependencies are added by electron-builder itself.
  files: ['out/**', 'package.json', 'resources/**'],
  asar: true,
  asarUnpack: [
    // The worker threads' entries (attempt, intake-thread, checkpoint-thread) and the chunks
    // they import: piscina and worker_threads load them by path, and a path inside app.asar
    // depends on Electron's asar support reaching the thread and the ESM loader. Unpacked,
    // they are plain files; Electron sends reads of app.asar/out/main/* to them.
    'out/main/**',
    // Native modules cannot be loaded from inside an archive.
    '**/*.node',
    'node_modules/better-sqlite3/**',
    'node_modules/node-llama-cpp/bins/**',
    'node_modules/node-llama-cpp/llama/localBuilds/**',
    'node_modules/@node-llama-cpp/**',
  ],
  // Rebuilding would replace the Node build the CLI uses; the Electron build comes from
  // scripts/desktop.js (node_modules/.genops) and ships beside the archive.
  npmRebuild: false,
  nodeGypRebuild: false,
  extraResources: [
    {
      from: `node_modules/.genops/better-sqlite3-electron-${electronVersion}/build/Release/better_sqlite3.node`,
      // The shell passes this to the engine when packaged (src/main/shell/app-paths.ts).
      to: 'better_sqlite3.node',
    },
  ],
  icon: 'resources/icons/512x512.png',
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Development',
    // Not `genops`: that is the CLI's name (package.json bin).
    executableName: 'genops-desktop',
    synopsis: 'Operations console for batches of LLM generation jobs',
    maintainer: 'GenOps <genops@localhost>',
  },
  mac: { target: ['dmg'], category: 'public.app-category.developer-tools' },
  win: { target: ['nsis'] },
  nsis: { oneClick: false, allowToChangeInstallationDirectory: true },
}
