// Heavy concurrency must not fail publishes that would succeed a moment later: no EMFILE.

import test from 'ava'
import { execFileSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { freshDir, needs, posixOnly } from './helpers.js'

/** The limit is set by bash's `ulimit -n`. */
const withLimit = needs(['bash'], { also: posixOnly('descriptor limits (ulimit -n)') })

withLimit('10 000 concurrent writes and 400 concurrent streams under a 256-descriptor limit all succeed', (t) => {
  const dir = freshDir()
  const script = join(__dirname, 'fixtures', 'many-publishes.js')
  // `ulimit -n` sets the hard limit too, so Node cannot raise it; more pool threads means
  // more descriptors open at once.
  const out = execFileSync('bash', ['-c', `ulimit -n 256 && exec "${process.execPath}" "${script}" "${dir}"`], {
    encoding: 'utf8',
    env: { ...process.env, UV_THREADPOOL_SIZE: '64' },
  })
  const { ok, codes } = JSON.parse(out)
  t.deepEqual(codes, {}, 'no publish failed')
  t.is(ok, 10_400)
  t.is(readdirSync(join(dir, 'w')).length, 10_000)
  t.is(readdirSync(join(dir, 's')).length, 400)
  execFileSync('rm', ['-rf', dir])
})

withLimit('with no descriptor to be had, a publish fails with EMFILE named as such and leaves nothing', (t) => {
  const dir = freshDir()
  const target = join(dir, 'target')
  const script = join(__dirname, 'fixtures', 'out-of-descriptors.js')
  const out = execFileSync('bash', ['-c', `ulimit -n 64 && exec "${process.execPath}" "${script}" "${target}"`], { encoding: 'utf8' })
  t.like(JSON.parse(out), { ok: false, code: 'EMFILE', syscall: 'open', path: target })
  t.deepEqual(readdirSync(dir), [])
})
