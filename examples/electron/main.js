// @ts-check
// Electron main process: run the publish check here and in a utility process (a Node.js child
// that Electron starts), print both results and quit with 0 only if both passed. Opens no window.
'use strict'
const { app, utilityProcess } = require('electron')
const { join } = require('node:path')
const { publishCheck } = require('./publish-check.js')

const TIMEOUT_MS = 120_000

/** @returns {Promise<{ where: string, ok: boolean, detail: string }>} */
function inUtilityProcess() {
  return new Promise((resolve) => {
    const child = utilityProcess.fork(join(__dirname, 'utility.js'), [], { stdio: 'inherit' })
    child.once('message', (result) => resolve(result))
    // A result still in flight when the process ends is delivered first; give it a moment.
    child.once('exit', (code) => setTimeout(() => resolve({ where: 'utility', ok: false, detail: `exited with ${code} before reporting` }), 1000))
  })
}

app.whenReady().then(async () => {
  const timer = setTimeout(() => {
    console.error(`no result after ${TIMEOUT_MS} ms`)
    app.exit(1)
  }, TIMEOUT_MS)
  const results = [await publishCheck('main'), await inUtilityProcess()]
  clearTimeout(timer)
  for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.where}: ${r.detail}`)
  console.log(`electron ${process.versions.electron}: ${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length} failed`)
  app.exit(results.every((r) => r.ok) ? 0 : 1)
})
