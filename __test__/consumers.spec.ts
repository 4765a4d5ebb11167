// Real consumers on the compatibility entry: conf and configstore, installed from npm into a
// scratch project whose `atomically` is overridden (npm `overrides`) with the tiny package
// packages/atomically, as the recipe in docs/migration.md does. Their public APIs must behave as with the
// real atomically, and every write must be an atomic-publish publish (scratch `.oxentmp.`).

import test from 'ava'
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Call, traceCommand } from './reliability/trace.js'
import { freshDir, hasCommand, needs } from './helpers.js'

const ROOT = join(__dirname, '..', '..')
const DRIVERS = join(ROOT, '__test__', 'consumers')
/** Majors that run on Node 20 (conf 16 needs Node 22). */
const CONSUMERS = { conf: '^15.0.2', configstore: '^8.0.0' }

/** Install the consumers once; a project dir, or why it could not be made. */
function install(): { project: string } | { reason: string } {
  const project = freshDir('ap-consumers-')
  cpSync(join(ROOT, 'packages', 'atomically'), join(project, 'shims', 'atomically'), { recursive: true })
  for (const driver of ['drive-conf.mjs', 'drive-configstore.mjs']) cpSync(join(DRIVERS, driver), join(project, driver))
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'consumers',
      private: true,
      type: 'module',
      dependencies: { ...CONSUMERS, 'atomic-publish': `file:${ROOT}` },
      // The recipe from docs/migration.md, with a local copy of the tiny package instead of npm:.
      overrides: { atomically: 'file:./shims/atomically' },
    }),
  )
  try {
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], {
      cwd: project,
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 240_000,
    })
    return { project }
  } catch (e) {
    const err = e as Error & { stderr?: Buffer }
    return { reason: `npm install of conf and configstore failed: ${err.stderr?.toString().trim().split('\n').at(-1) ?? err.message}` }
  }
}

const installed = install()
const reason = 'reason' in installed ? installed.reason : undefined
const consumersInstalled = { ok: reason === undefined, what: `conf and configstore installed (${reason})` }
const withConsumers = needs([], { also: consumersInstalled })
const withStrace = needs(['strace'], { also: consumersInstalled })
if (reason) console.warn(`consumers: skipped: ${reason}`)
const project = 'project' in installed ? installed.project : ''

function drive(driver: string, dir: string): Record<string, unknown> {
  return JSON.parse(execFileSync(process.execPath, [join(project, driver), dir], { cwd: project, encoding: 'utf8' })) as Record<string, unknown>
}

withConsumers('conf: migrations, set, get, has, delete, clear and file modes, on atomic-publish', (t) => {
  const dir = freshDir()
  const report = drive('drive-conf.mjs', dir)
  t.true(String(report.atomically).startsWith(join(project, 'shims', 'atomically')), `conf resolved atomically to ${String(report.atomically)}`)
  t.like(report.afterMigrations, { step1: true, step2: true })
  t.false('legacy' in (report.afterMigrations as object))
  t.like(report.afterSet, { unicorn: '🦄', nested: { a: 1, b: 2 }, list: [1, 2] })
  t.deepEqual(report.get, { unicorn: '🦄', nestedB: 2, missing: 'fallback' })
  t.deepEqual(report.has, { unicorn: true, missing: false })
  t.false('unicorn' in (report.afterDelete as object))
  t.is(report.size, 2)
  t.deepEqual(report.afterClear, {})
  t.is(report.modeRestricted, 0o600)
  t.is(report.modeDefault, 0o666 & ~(report.umask as number), 'configFileMode 0o666 is masked by the umask, as atomically does')
  t.like(report.reread, { step1: true, step2: true })
})

withConsumers('configstore: defaults, set, get, has, delete, all, clear and its 0o600 file, on atomic-publish', (t) => {
  const dir = freshDir()
  const report = drive('drive-configstore.mjs', dir)
  t.true(String(report.atomically).startsWith(join(project, 'shims', 'atomically')), `configstore resolved atomically to ${String(report.atomically)}`)
  t.deepEqual(report.afterDefaults, { seeded: true })
  t.deepEqual(report.afterSet, { seeded: true, awesome: true, foo: { bar: 'baz', qux: 1 } })
  t.deepEqual(report.get, { awesome: true, fooBar: 'baz' })
  t.deepEqual(report.has, { awesome: true, missing: false })
  t.deepEqual(report.afterDelete, { seeded: true, foo: { bar: 'baz', qux: 1 } })
  t.is(report.size, 2)
  t.deepEqual(report.afterAll, { replaced: 'whole' })
  t.deepEqual(report.afterClear, {})
  t.is(report.mode, 0o600)
  t.deepEqual(report.reread, {})
})

/** Renames of atomic-publish scratch files onto `target` that succeeded. */
const publishesOnto = (calls: Call[], target: string): Call[] =>
  calls.filter((c) => c.name.startsWith('rename') && c.result.startsWith('0') && c.args.includes('.oxentmp.') && c.args.endsWith(`"${target}"`))

withStrace('every conf and configstore write is an atomic-publish publish (strace: .oxentmp. scratch renamed, none of atomically’s .tmp- files)', (t) => {
  const dir = freshDir()
  mkdirSync(join(dir, 'trace'))
  // At least one publish per call that changes the store: conf's three sets, delete and
  // clear; configstore's defaults, three sets, delete, `all =` and clear.
  for (const [driver, target, atLeast] of [
    ['drive-conf.mjs', join(dir, 'settings.json'), 5],
    ['drive-configstore.mjs', join(dir, 'configstore', 'app.json'), 7],
  ] as const) {
    const calls = traceCommand([process.execPath, join(project, driver), dir], join(dir, 'trace', `${driver}.txt`))
    const publishes = publishesOnto(calls, target)
    t.true(publishes.length >= atLeast, `${driver}: ${publishes.length} publishes onto ${target}`)
    // conf's fallback (plain fs.writeFileSync under SNAP or on EXDEV) never ran: the target
    // itself was never opened for writing.
    const directWrites = calls.filter((c) => /^open(at)?$/.test(c.name) && c.args.includes(`"${target}"`) && /O_WRONLY|O_RDWR/.test(c.args))
    t.deepEqual(directWrites.map((c) => c.args), [], `${driver}: wrote the target in place`)
    t.deepEqual(calls.filter((c) => c.args.includes('.tmp-')).map((c) => c.args), [], `${driver}: atomically's own writer ran`)
    t.true(calls.some((c) => c.name === 'fsync' && c.args.includes('.oxentmp.')), `${driver}: scratch files fsynced`)
  }
})
