// The product speaks of itself only: no tracked text (code, comments, docs, test names) says
// how its making was organised or points to folders outside the repository. Its origin is
// named as liboxen's `AtomicFile`. A few words have technical meanings too; those uses, and
// only those, are allowed below, each with the files it may appear in and why.

import test from 'ava'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { needs } from './helpers.js'

const ROOT = join(__dirname, '..', '..')
const THIS_FILE = '__test__/product-text.spec.ts' // its samples hold the words it looks for

// The listed words are put together from pieces, so that this file does not spell them itself.
const j = (...parts: string[]): string => parts.join('')
const [SESS, ISS, REV, HELP, AGENT, TICK, TASK, SEED, MISS] = [
  j('ses', 'sion'), j('iss', 'ue'), j('rev', 'iew'), j('hel', 'per'), j('age', 'nt'),
  j('tic', 'ket'), j('ta', 'sk'), j('se', 'ed'), j('mis', 'sion'),
]
const OUTSIDE = [j('/wo', 'rk/'), j('sha', 'red/'), j('rese', 'arch/')]

const WORDS: Array<[string, RegExp]> = [
  ['a working period', new RegExp(`\\b${SESS}s?\\b`, 'gi')],
  ['a tracker number', new RegExp(`\\b${ISS}s?\\s*#?\\s*\\d+|\\b${ISS} #`, 'gi')],
  ['an inspection', new RegExp(`\\b${REV}(?:s|ed|er|ers|ing)?\\b`, 'gi')],
  ['an assistant', new RegExp(`\\b${HELP}s?\\b`, 'gi')],
  ['an automated worker', new RegExp(`\\b${AGENT}s?\\b`, 'gi')],
  ['a tracker entry', new RegExp(`\\b${TICK}s?\\b`, 'gi')],
  ['an assignment', new RegExp(`\\b${TASK}s?\\b`, 'gi')],
  ['a path outside the repository', new RegExp(`${OUTSIDE[0]}|\\b${OUTSIDE[1]}|\\b${OUTSIDE[2]}`, 'gi')],
  ['the origin by a nickname', new RegExp(`\\bthe ${SEED}\\b|\\b${SEED}'s\\b|\\b${SEED} text\\b`, 'gi')],
  ['a purpose statement', new RegExp(`\\b${MISS}\\b`, 'gi')],
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

needs(['git'])('no tracked text says how the work was organised', (t) => {
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
  t.is(hits('docs/x.md', `Done in this ${SESS}, see ${ISS} #24 and the ${REV}.`).length, 3)
  t.is(hits('README.md', `as the ${SEED} does; see ${OUTSIDE[0]}notes/API.md and ${OUTSIDE[2]}notes`).length, 3)
  t.is(hits('README.md', `a ${HELP}, an ${AGENT}, a ${TICK}, a ${TASK}, the ${MISS}`).length, 5)
  t.deepEqual(hits('__test__/x.spec.ts', "import { freshDir, needs } from './helpers.js'"), [])
  t.is(hits('__test__/x.spec.ts', '// shared helpers for the specs').length, 1, 'the module name only')
  t.deepEqual(hits('src/order.rs', 'let ticket = order.take_ticket();'), [])
  t.is(hits('docs/guarantees.md', 'each call takes a ticket').length, 1, 'tickets only in the code')
  t.deepEqual(hits('src/hash.rs', 'XXH3-128 (seed 0) of buffers'), [], 'a hash seed is no nickname')
})
