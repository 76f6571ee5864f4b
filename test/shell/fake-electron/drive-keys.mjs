// Starts the built shell on the fake Electron with the keyring FAKE_ELECTRON_KEYRING names,
// saves a profile with an API key as the Settings screen would (through the window's IPC),
// then prints what the shell showed and what the save answered, as JSON for the test.
// node --import ./register.mjs drive-keys.mjs <dataDir> <api key>
import { fileURLToPath } from 'node:url'

const [dataDir, apiKey] = process.argv.slice(2)
const mainFile = fileURLToPath(new URL('../../../out/main/index.js', import.meta.url))
process.argv = [process.argv[0], mainFile, '--data-dir', dataDir]
const { ipcMain, shown, windows } = await import('electron')
await import(mainFile)

/** Resolves once `test` holds: the shell announces each step by what it shows. */
async function until(test) {
  for (;;) {
    if (test()) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

// The page has loaded and said it listens: what the shell held back for it has been sent.
await until(() => shown.some((entry) => entry[0] === 'page-listening'))
const [window] = windows
const fromPage = { sender: window.webContents, senderFrame: { parent: null, url: window.url } }
const call = (name, input) => ipcMain.handlers.get(`genops:${name}`)(fromPage, input)
const saved = await call('saveProvider', { name: 'work', provider: 'openai', apiKey })
const listed = await call('listProviders', {})
process.stdout.write(JSON.stringify({ shown, saved, listed }))
process.exit(0)
