// The traced child: runs every planned workload one after another, each between two marker
// opens (`begin`, `returned`) that tell the parser where the call began and where it had
// returned or its promise resolved. Usage: node workload.js <plan.json> [unsynced-build-binary]

import { spawnSync } from 'node:child_process'
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { AtomicFile } from 'atomic-publish'
import { isDirEntry, newContent, type Workload } from './plan.js'
import { runDir } from './dir-workload.js'

// write-file-atomic ships no types.
const writeFileAtomic = require('write-file-atomic') as (file: string, data: Buffer, options: { fsync: boolean }) => Promise<void>

const mark = (path: string): void => closeSync(openSync(path, 'w'))

async function run(w: Workload, unsyncedBuild: string | undefined): Promise<void> {
  if (isDirEntry(w.entry)) {
    await runDir(w, () => mark(w.begin))
    mark(w.returned)
    return
  }
  const data = newContent(w.newSize)
  const file = new AtomicFile(w.target).withDurability(w.level)
  mark(w.begin)
  switch (w.entry) {
    case 'write-1k':
    case 'write-9m':
      await file.write(data)
      break
    case 'writeSync':
      file.writeSync(data)
      break
    case 'stream':
      await file.stream((async function* () {
        yield data.subarray(0, 4096)
        yield data.subarray(4096)
      })())
      break
    case 'createWriteStream': {
      const stream = file.createWriteStream()
      await new Promise<void>((resolve, reject) => {
        stream.on('error', reject)
        stream.on('finish', resolve)
        stream.write(data.subarray(0, 4096))
        stream.end(data.subarray(4096))
      })
      break
    }
    case 'copyFrom':
      await file.copyFrom(w.source)
      break
    case 'copyFromSync':
      file.copyFromSync(w.source)
      break
    case 'control-writeFileSync':
      writeFileSync(w.target, data)
      break
    case 'control-wfa-nofsync':
      await writeFileAtomic(w.target, data, { fsync: false })
      break
    case 'control-unsynced-build': {
      if (!unsyncedBuild) throw new Error('the unsynced build was not given')
      const r = spawnSync(unsyncedBuild, [w.target, w.source, w.level], { stdio: 'inherit' })
      if (r.status !== 0) throw new Error(`unsynced build exited ${r.status}`)
      break
    }
  }
  mark(w.returned)
}

async function main(): Promise<void> {
  const [planFile, unsyncedBuild] = process.argv.slice(2)
  const plan = JSON.parse(readFileSync(planFile, 'utf8')) as Workload[]
  for (const w of plan) await run(w, unsyncedBuild)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
