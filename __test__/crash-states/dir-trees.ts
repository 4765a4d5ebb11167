// The trees of the directory workloads, as data. The new tree differs from the old in a
// changed file (a.txt), a removed one (b.txt) and an added one (d.txt); sub/c.txt, the nested
// file, is staged again with the same bytes. Every new file is a prefix of one source buffer,
// so the parser's writes (offset 0, from the source) rebuild each file's bytes.

import { DIR_SOURCE_SIZE, newContent, pattern, type Entry } from './plan.js'

export type TreeFiles = Array<[string, Buffer]>

const src = newContent(DIR_SOURCE_SIZE)
export const OLD_TREE: TreeFiles = [
  ['a.txt', pattern(600, 0x0a1)],
  ['b.txt', pattern(900, 0x0b2)],
  ['sub/c.txt', src.subarray(0, 1200)],
]
export const NEW_TREE: TreeFiles = [
  ['a.txt', src.subarray(0, 700)],
  ['d.txt', src.subarray(0, DIR_SOURCE_SIZE)],
  ['sub/c.txt', src.subarray(0, 1200)],
]

/** The name an existing version of the 'linked' start has (the layout's shape, an old time). */
export const OLD_VERSION = 'target.v20200101T000000.000000000Z.old000'

/**
 * `fromCurrent()` starts from links to the old tree and stages only what changes: a.txt
 * (replaced) and d.txt (added); b.txt and sub/c.txt stay the old tree's files.
 */
export const INCREMENTAL_STAGED: TreeFiles = NEW_TREE.filter(([rel]) => rel === 'a.txt' || rel === 'd.txt')
export const INCREMENTAL_TREE: TreeFiles = [...OLD_TREE.filter(([rel]) => rel === 'b.txt' || rel === 'sub/c.txt'), ...INCREMENTAL_STAGED]

/** The tree a workload publishes. */
export const newTreeOf = (entry: Entry): TreeFiles => (entry === 'dir-incremental' ? INCREMENTAL_TREE : NEW_TREE)
