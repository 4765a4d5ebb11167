// The binaries the rehearsal publishes, laid out as the release workflow's download-artifact step
// lays them out (artifacts/bindings-<target>/<binary>.<platform>.node), for `napi artifacts`.
//
// In CI (`--artifacts DIR`) they are the real builds of every target. Here they are the builds
// this machine can link (scripts/build-targets.sh: cross gcc, zig, MinGW): the release build of
// this platform and the link-check builds of the others. The MSVC targets cannot be linked here
// (no Microsoft import libraries), so the x86_64-pc-windows-gnu build stands in for them: the
// same Rust code and Windows APIs for x64 under Wine, and only a placeholder file for ia32 and
// arm64, which nothing here can load.

import { execFileSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import missingBinary from '../../js/missing-binary.js'

const { keyOfTriple } = missingBinary

const STAND_IN = 'x86_64-pc-windows-gnu'

/** The napi-rs platform key of a target triple (as npm/<key>), as the package's loader names it. */
function keyOf(triple) {
  const key = keyOfTriple(triple)
  if (!key) throw new Error(`the rehearsal does not know target ${triple}`)
  return key
}

/** Does this 64-bit little-endian ELF file have a symbol table section (SHT_SYMTAB)? */
function hasSymbolTable(elf) {
  const offset = Number(elf.readBigUInt64LE(0x28))
  const size = elf.readUInt16LE(0x3a)
  const count = elf.readUInt16LE(0x3c)
  for (let i = 0; i < count; i++) if (elf.readUInt32LE(offset + i * size + 4) === 2) return true
  return false
}

/**
 * Fills `out` with one bindings-<target> folder per target; returns [{ target, source, note }].
 * `given`: a folder of CI artifacts to take as they are, or undefined to use this machine's builds.
 */
export function gatherArtifacts(root, pkg, out, given) {
  mkdirSync(out, { recursive: true })
  if (given) {
    cpSync(given, out, { recursive: true })
    return pkg.napi.targets.map((target) => ({ target, note: 'built by the workflow' }))
  }
  const linked = (triple) => join(root, 'target', 'link-check', `${pkg.napi.binaryName}.${keyOf(triple)}.node`)
  const host = 'x86_64-unknown-linux-gnu'
  const release = join(root, `${pkg.napi.binaryName}.${keyOf(host)}.node`)
  const needed = pkg.napi.targets.filter((t) => t !== host && !t.endsWith('-msvc') && !existsSync(linked(t)))
  if (!existsSync(linked(STAND_IN))) needed.push(STAND_IN)
  if (needed.length > 0) execFileSync('bash', [join(root, 'scripts', 'build-targets.sh'), ...needed], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
  if (!existsSync(release)) throw new Error(`no release build of ${host}: run npm run build first`)
  // The release profile strips symbols: a file with a symbol table is a debug build
  // (`npm run build:debug`), which must not be published, even in a rehearsal.
  if (hasSymbolTable(readFileSync(release))) throw new Error(`${release} is not a release build (it has a symbol table): run npm run build first`)

  return pkg.napi.targets.map((target) => {
    const dir = join(out, `bindings-${target}`)
    mkdirSync(dir, { recursive: true })
    const dest = join(dir, `${pkg.napi.binaryName}.${keyOf(target)}.node`)
    let note
    if (target === host) {
      copyFileSync(release, dest)
      note = 'release build'
    } else if (target.endsWith('-msvc')) {
      copyFileSync(linked(STAND_IN), dest)
      note = target.startsWith('x86_64') ? `STAND-IN: the ${STAND_IN} build` : `STAND-IN: placeholder (${STAND_IN} build; ${target} cannot run here)`
    } else {
      copyFileSync(linked(target), dest)
      note = 'link-check build (cross-linked here)'
    }
    return { target, note }
  })
}
