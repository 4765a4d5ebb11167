// Drives configstore's public API in a project whose `atomically` is overridden with
// @atomic-publish/atomically. Prints one JSON report. Usage: node drive-configstore.mjs <dir>

import { readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import Configstore from 'configstore'

const dir = process.argv[2]
const configPath = join(dir, 'configstore', 'app.json')
const onDisk = () => JSON.parse(readFileSync(configPath, 'utf8'))
const report = {}

report.atomically = createRequire(createRequire(import.meta.url).resolve('configstore')).resolve('atomically')

const store = new Configstore('app', { seeded: true }, { configPath })
report.afterDefaults = onDisk()
store.set('awesome', true)
store.set({ foo: { bar: 'baz' } })
store.set('foo.qux', 1)
report.afterSet = onDisk()
report.get = { awesome: store.get('awesome'), fooBar: store.get('foo.bar') }
report.has = { awesome: store.has('awesome'), missing: store.has('missing') }
store.delete('awesome')
report.afterDelete = onDisk()
report.size = store.size
store.all = { replaced: 'whole' }
report.afterAll = onDisk()
store.clear()
report.afterClear = onDisk()
report.mode = statSync(configPath).mode & 0o777
report.reread = new Configstore('app', {}, { configPath }).all

console.log(JSON.stringify(report))
