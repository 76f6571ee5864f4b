// Starts the built shell on the fake Electron, does what an operator would (a second start
// with files, menu items), then prints what the shell showed as JSON for the test to read.
// node --import ./register.mjs drive.mjs <dataDir> <file handed at start> <file handed by a second start>
import { fileURLToPath } from 'node:url'

const [dataDir, firstFile, secondFile] = process.argv.slice(2)
const mainFile = fileURLToPath(new URL('../../../out/main/index.js', import.meta.url))
process.argv = [process.argv[0], mainFile, '--data-dir', dataDir, firstFile]
const { app, shown } = await import('electron')
await import(mainFile)

/** Resolves once the shell has shown something that `test` accepts. */
async function shownWhere(test) {
  for (;;) {
    if (shown.some(test)) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
const sent = (type) => (entry) => entry[0] === 'send' && entry[2].type === type
const item = (menu, label) => menu.flatMap((entry) => [entry, ...(entry.submenu ?? [])]).find((entry) => entry.label === label)

await shownWhere(sent('filesOpened'))
app.emit('second-instance', {}, ['electron', '.', secondFile, 'missing.csv'], dataDir)
await shownWhere((entry) => sent('filesOpened')(entry) && entry[2].data.files[0].name !== 'first.jsonl')
item(globalThis.applicationMenu, 'Pause queue').click()
await shownWhere((entry) => entry[0] === 'menu' && item(entry[1], 'Resume queue'))
item(globalThis.applicationMenu, 'Alerts').click()
item(globalThis.applicationMenu, 'Export diagnostic bundle').click()
await shownWhere((entry) => entry[0] === 'show-item')
// The test left a rule that fires at once: its notification, clicked, opens that alert.
await shownWhere((entry) => entry[0] === 'notification')
globalThis.lastNotification.emit('click')
await shownWhere((entry) => sent('show')(entry) && entry[2].data.route.startsWith('#/alerts/'))
// The window closed: the app stays in the tray and says so; the tray's Quit ends it.
app.emit('window-all-closed')
await shownWhere((entry) => entry[0] === 'notification' && entry[1].title === 'GenOps is still running')
item(shown.filter((entry) => entry[0] === 'tray-menu').at(-1)[1], 'Quit GenOps').click()
await shownWhere((entry) => entry[0] === 'quit' && shown.filter((other) => other[0] === 'quit').length === 2)
process.stdout.write(JSON.stringify(shown))
process.exit(0)
