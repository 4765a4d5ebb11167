// A tree of many small files published whole at 'full', then 3 of them changed by an
// incremental publish: every file arrives, unchanged files stay the same files, nothing is
// left beside the target, and no descriptor is left open.

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AtomicDir } from 'atomic-publish'

export interface DirScaleSummary {
  files: number
  manifestFiles: number
  onDisk: number
  wrongContent: number
  relinked: number
  leftBeside: number
  fdsStart: number
  fdsEnd: number
}

const openDescriptors = (): number => (process.platform === 'linux' ? readdirSync('/proc/self/fd').length : 0)

function countFiles(dir: string): number {
  let n = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) n += entry.isDirectory() ? countFiles(join(dir, entry.name)) : 1
  return n
}

export async function runDirScale(files: number): Promise<DirScaleSummary> {
  const dir = mkdtempSync(join(tmpdir(), 'ap-dir-scale-'))
  const target = join(dir, 'tree')
  const path = (i: number): string => `d${i % 1000}/f${i}`
  try {
    const fdsStart = openDescriptors()
    const stage = new AtomicDir(target)
    let next = 0
    const lane = async (): Promise<void> => {
      while (next < files) {
        const i = next++
        await stage.file(path(i)).write(`${i}\n`)
      }
    }
    await Promise.all(Array.from({ length: 64 }, lane))
    const manifest = await stage.commit()
    const onDisk = countFiles(target)
    let wrongContent = 0
    for (let i = 0; i < files; i += 97) if (readFileSync(join(target, path(i)), 'utf8') !== `${i}\n`) wrongContent++
    const kept = statSync(join(target, path(1))).ino
    const changed = [0, 2, files - 1]
    const incremental = new AtomicDir(target).fromCurrent()
    await Promise.all(changed.map((i) => incremental.file(path(i)).write('changed\n')))
    const after = await incremental.commit()
    for (const i of changed) if (readFileSync(join(target, path(i)), 'utf8') !== 'changed\n') wrongContent++
    if (after.fileCount !== files) wrongContent++
    return {
      files,
      manifestFiles: manifest.fileCount,
      onDisk,
      wrongContent,
      relinked: statSync(join(target, path(1))).ino === kept ? 1 : 0,
      leftBeside: readdirSync(dir).length - 1,
      fdsStart,
      fdsEnd: openDescriptors(),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
