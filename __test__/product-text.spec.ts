// The product speaks of itself only: no tracked text (code, comments, docs, test names) says
// how its making was organised or points to folders outside the repository. Its origin is
// named as liboxen's `AtomicFile`. A few words have technical meanings too; those uses, and
// only those, are allowed below, each with the files it may appear in and why.

import test from 'ava'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const ROOT = join(__dirname, '..', '..')
const THIS_FILE = '__test__/product-text.spec.ts' // it spells the words out to find them

const WORDS: Array<[string, RegExp]> = [
  ['a working session', /\bsessions?\b/gi],
  ['an issue number', /\bissues?\s*#?\s*\d+|\bissue #/gi],
  ['a review', /\breview(?:s|ed|er|ers|ing)?\b/gi],
  ['a helper', /\bhelpers?\b/gi],
  ['an agent', /\bagents?\b/gi],
  ['a ticket', /\btickets?\b/gi],
  ['a task', /\btasks?\b/gi],
  ['a path outside the repository', /\/work\/|\bshared\/|\bresearch\//gi],
  ['the origin by a nickname', /\bthe seed\b|\bseed's\b|\bseed text\b/gi],
  ['a mission', /\bmission\b/gi],
]

/** Technical uses: the word, the files it may appear in, and what it means there. */
const ALLOWED: Array<{ word: RegExp; files: RegExp; near?: RegExp; why: string }> = [
  { word: /^helpers$/i, files: /^__test__\//, near: /\bhelpers\.(js|ts)\b/, why: "the test suite's shared module, __test__/helpers.ts, imported as './helpers.js'" },
  { word: /^tickets?$/i, files: /^(src\/.*\.rs|js\/.*\.ts)$/, why: "a call's place in its target's call order (src/order.rs, js/target-order.ts)" },
  { word: /^tasks?$/i, files: /^(src\/.*\.rs|js\/batch\.ts|__test__\/batch\.spec\.ts|__test__\/isolated\/event-loop\.spec\.ts)$/, why: "work queued on libuv's thread pool (napi's Task), and Linux's /proc/self/task" },
]

/** The tracked text files: no lockfiles, nothing binary. */
function trackedText(): string[] {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean)
  return files.filter((f) => !/(^|\/)(package-lock\.json|Cargo\.lock)$/.test(f) && f !== THIS_FILE)
}

/** Each hit of a listed word in `text` that no allow-list entry covers, as `file:line: word`. */
function hits(file: string, text: string): string[] {
  const found: string[] = []
  text.split('\n').forEach((line, i) => {
    for (const [what, pattern] of WORDS) {
      for (const m of line.matchAll(pattern)) {
        if (ALLOWED.some((a) => a.word.test(m[0]) && a.files.test(file) && (a.near?.test(line) ?? true))) continue
        found.push(`${file}:${i + 1}: ${what} ('${m[0]}'): ${line.trim().slice(0, 120)}`)
      }
    }
  })
  return found
}

test('no tracked text says how the work was organised', (t) => {
  const files = trackedText()
  t.true(files.length > 100, `files read: ${files.length}`)
  const found: string[] = []
  for (const file of files) {
    let bytes: Buffer
    try {
      bytes = readFileSync(join(ROOT, file))
    } catch {
      continue // deleted in the work tree, not yet in the index
    }
    if (bytes.includes(0)) continue // binary
    found.push(...hits(file, bytes.toString('utf8')))
  }
  t.deepEqual(found, [])
})

test('the check finds each listed word and honours only its allow-list', (t) => {
  t.is(hits('docs/x.md', 'Done in this session, see issue #24 and the review.').length, 3)
  t.is(hits('README.md', 'as the seed does; see /work/notes/API.md and research/notes').length, 3)
  t.is(hits('README.md', 'a helper, an agent, a ticket, a task, the mission').length, 5)
  t.deepEqual(hits('__test__/x.spec.ts', "import { freshDir } from './helpers.js'"), [])
  t.is(hits('__test__/x.spec.ts', '// shared helpers for the specs').length, 1, 'the module name only')
  t.deepEqual(hits('src/order.rs', 'let ticket = order.take_ticket();'), [])
  t.is(hits('docs/guarantees.md', 'each call takes a ticket').length, 1, 'tickets only in the code')
  t.deepEqual(hits('src/hash.rs', 'XXH3-128 (seed 0) of buffers'), [], 'a hash seed is no nickname')
})
