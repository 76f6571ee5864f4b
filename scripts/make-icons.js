// `node scripts/make-icons.js`: draws the app icon and the tray icons into resources/icons.
// Drawn in code rather than exported from an editor so anyone can change a colour and
// redraw them; the PNGs are committed, so a build never needs this script.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { crc32, deflateSync } from 'node:zlib'

const ICONS = join(dirname(fileURLToPath(import.meta.url)), '../resources/icons')

/** The tray's three looks, as the operator reads them at a glance. */
export const TRAY_COLOURS = { ok: [46, 160, 67], degraded: [219, 150, 20], alerting: [215, 58, 58] }

function chunk(type, data) {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/** An RGBA PNG from `paint(x, y) => [r, g, b, a]`, each pixel averaged over 4×4 samples so edges are smooth. */
export function png(size, paint) {
  const rows = []
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4) // filter byte 0: none
    for (let x = 0; x < size; x++) {
      const sum = [0, 0, 0, 0]
      for (let sy = 0; sy < 4; sy++) {
        for (let sx = 0; sx < 4; sx++) {
          const [r, g, b, a] = paint((x + (sx + 0.5) / 4) / size, (y + (sy + 0.5) / 4) / size)
          sum[0] += r * a
          sum[1] += g * a
          sum[2] += b * a
          sum[3] += a
        }
      }
      const alpha = sum[3] / 16
      const offset = 1 + x * 4
      for (let c = 0; c < 3; c++) row[offset + c] = sum[3] ? Math.round(sum[c] / sum[3]) : 0
      row[offset + 3] = Math.round(alpha * 255)
    }
    rows.push(row)
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header.set([8, 6, 0, 0, 0], 8) // 8 bits, RGBA, deflate, no filter set, no interlace
  const signature = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10])
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))])
}

const CLEAR = [0, 0, 0, 0]

/** Inside a rounded square covering the unit square with a margin. */
function inRoundedSquare(x, y, margin, radius) {
  const cx = Math.min(Math.max(x, margin + radius), 1 - margin - radius)
  const cy = Math.min(Math.max(y, margin + radius), 1 - margin - radius)
  return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2 && x >= margin && x <= 1 - margin && y >= margin && y <= 1 - margin
}

/** The app icon: a slate tile with three queue bars, the last one green (jobs flowing through). */
function appIcon(x, y) {
  if (!inRoundedSquare(x, y, 0.06, 0.18)) return CLEAR
  const bars = [
    { top: 0.28, right: 0.76, colour: [226, 232, 240] },
    { top: 0.45, right: 0.66, colour: [226, 232, 240] },
    { top: 0.62, right: 0.56, colour: [46, 160, 67] },
  ]
  for (const bar of bars) {
    const inside = y >= bar.top && y <= bar.top + 0.1 && x >= 0.24 && x <= bar.right
    if (inside) return [...bar.colour, 1]
  }
  return [30, 41, 59, 1]
}

/** A tray icon: a filled dot in the look's colour, ringed in white so it reads on dark and light bars. */
function trayIcon(colour) {
  return (x, y) => {
    const distance = Math.hypot(x - 0.5, y - 0.5)
    if (distance <= 0.36) return [...colour, 1]
    if (distance <= 0.46) return [255, 255, 255, 0.9]
    return CLEAR
  }
}

export function makeIcons(directory = ICONS) {
  mkdirSync(directory, { recursive: true })
  const written = []
  const write = (name, data) => {
    writeFileSync(join(directory, name), data)
    written.push(name)
  }
  write('512x512.png', png(512, appIcon))
  for (const [look, colour] of Object.entries(TRAY_COLOURS)) {
    // Electron picks `name@2x.png` by itself on a high-density display.
    write(`tray-${look}.png`, png(16, trayIcon(colour)))
    write(`tray-${look}@2x.png`, png(32, trayIcon(colour)))
  }
  return written
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const written = makeIcons()
  console.log(`genops: wrote ${written.length} icons into ${dirname(join(ICONS, written[0]))}`)
}
