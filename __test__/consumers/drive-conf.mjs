// Drives conf's public API in a project whose `atomically` is overridden with
// @atomic-publish/atomically. Prints one JSON report. Usage: node drive-conf.mjs <dir>

import { readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import Conf from 'conf'

const dir = process.argv[2]
const file = (name) => join(dir, `${name}.json`)
const onDisk = (name) => JSON.parse(readFileSync(file(name), 'utf8'))
const report = {}

// Which `atomically` conf itself resolves.
report.atomically = createRequire(createRequire(import.meta.url).resolve('conf')).resolve('atomically')

const migrated = new Conf({
  cwd: dir,
  configName: 'migrated',
  projectVersion: '2.0.0',
  defaults: { legacy: 'old' },
  migrations: {
    '1.0.0': (store) => store.set('step1', true),
    '2.0.0': (store) => {
      store.set('step2', true)
      store.delete('legacy')
    },
  },
})
report.afterMigrations = onDisk('migrated')

const conf = new Conf({ cwd: dir, configName: 'settings', configFileMode: 0o600 })
conf.set('unicorn', '🦄')
conf.set({ nested: { a: 1 }, list: [1, 2] })
conf.set('nested.b', 2)
report.afterSet = onDisk('settings')
report.get = { unicorn: conf.get('unicorn'), nestedB: conf.get('nested.b'), missing: conf.get('missing', 'fallback') }
report.has = { unicorn: conf.has('unicorn'), missing: conf.has('missing') }
conf.delete('unicorn')
report.afterDelete = onDisk('settings')
report.size = conf.size
conf.clear()
report.afterClear = onDisk('settings')
report.modeRestricted = statSync(file('settings')).mode & 0o777

// conf's default configFileMode is 0o666, which atomically masks with the umask.
const plain = new Conf({ cwd: dir, configName: 'plain' })
plain.set('x', 1)
report.modeDefault = statSync(file('plain')).mode & 0o777
report.umask = process.umask()
report.reread = new Conf({ cwd: dir, configName: 'migrated', projectVersion: '2.0.0' }).store
void migrated

console.log(JSON.stringify(report))
