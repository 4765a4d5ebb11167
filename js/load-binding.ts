// Loads the native core through the loader napi-rs generates (binding.js), and replaces its
// failure with one line of our own. The generated error blames an npm bug, and the first cause it
// lists is a WebAssembly package this project never ships; the real cause (which prebuilt package
// is missing, and why) sits several causes deep. Every other module imports the core from here.

import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type * as Binding from '../binding.js'
import { keyOfMachine, type LoadContext, missingBinaryMessage } from './missing-binary.js'

/** The C library of this Linux process, as binding.js decides it (Node's report, then ldd). */
function libcOfProcess(): string | null {
  if (process.platform !== 'linux') return null
  try {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header
    if (header !== undefined) return header.glibcVersionRuntime ? 'glibc' : 'musl'
  } catch {
    // Bun and other runtimes may lack the report: fall through.
  }
  return /musl/.test(safeRead('/usr/bin/ldd')) ? 'musl' : 'glibc'
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'latin1')
  } catch {
    return ''
  }
}

/** The first line of an error's message (dlopen errors can run over several). */
function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  return message.split('\n')[0]!
}

/** Builds the error thrown when binding.js found nothing to load, after a diagnosis of our own. */
export function explainLoadFailure(original: unknown): Error {
  const pkgJson = require('../package.json') as { version: string; napi: { binaryName: string; targets: string[]; packageName: string } }
  const ctx: LoadContext = {
    platform: process.platform,
    arch: process.arch,
    libc: libcOfProcess(),
    version: pkgJson.version,
    targets: pkgJson.napi.targets,
    packageName: pkgJson.napi.packageName,
  }
  const key = keyOfMachine(ctx.platform, ctx.arch, ctx.libc)
  const override = process.env['NAPI_RS_NATIVE_LIBRARY_PATH']
  // binding.js tries a file beside it first (a build from source), then the platform package.
  const local = join(__dirname, '..', `${pkgJson.napi.binaryName}.${key}.node`)
  const request = override ? override : existsSync(local) ? local : `${ctx.packageName}-${key}`
  // Require the one candidate that matters again: its error is the real cause, with its code.
  let cause: unknown = original
  try {
    // Resolved from binding.js's folder, as binding.js resolves it (a relative override too).
    createRequire(join(__dirname, '..', 'binding.js'))(request)
    return original instanceof Error ? original : new Error(String(original))
  } catch (err) {
    cause = err
    const notFound = (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && firstLine(err).includes(request)
    if (override) {
      ctx.overridePath = override
      ctx.installedButFailed = firstLine(err)
    } else if (!notFound) {
      ctx.installedButFailed = firstLine(err)
    }
  }
  const error = new Error(missingBinaryMessage(ctx)) as Error & { code: string; package: string }
  error.code = 'ERR_ATOMIC_PUBLISH_NO_BINARY'
  error.package = `${ctx.packageName}-${key}`
  error.cause = cause
  return error
}

function load(): typeof Binding {
  try {
    return require('../binding.js') as typeof Binding
  } catch (err) {
    throw explainLoadFailure(err)
  }
}

export const native: typeof Binding = load()
