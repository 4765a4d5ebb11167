// @ts-check
// One publish-and-verify round, shared by the main process and the utility process: load the
// package from this repository, publish a file with a known hash, read it back, hash it again.
'use strict'
const { mkdtempSync, readFileSync, rmSync } = require('node:fs')
const { tmpdir } = require('node:os')
const { join } = require('node:path')

/**
 * @param {string} where which process runs it, for the report
 * @returns {Promise<{ where: string, ok: boolean, detail: string }>}
 */
async function publishCheck(where) {
  const dir = mkdtempSync(join(tmpdir(), 'ap-electron-'))
  try {
    const { AtomicFile, hashFile, xxh3_128 } = require('../../index.js')
    const body = `published from Electron's ${where} process`
    const target = join(dir, 'out.txt')
    const result = await new AtomicFile(target).withHash(xxh3_128(body)).write(body)
    const back = readFileSync(target, 'utf8')
    const ok = back === body && result.bytes === Buffer.byteLength(body) && (await hashFile(target)) === result.hash
    return { where, ok, detail: ok ? `${result.bytes} bytes, hash ${result.hash}` : `read back ${JSON.stringify(back)}` }
  } catch (e) {
    return { where, ok: false, detail: String(e instanceof Error ? e.stack : e) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

module.exports = { publishCheck }
