// Loads the native core through the loader napi-rs generates (binding.js), and replaces its
// failure with one line of our own. The generated error blames an npm bug, and the first cause it
// lists is a WebAssembly package this project never ships; the real cause (which prebuilt package
// is missing, and why) sits several causes deep. Every other module imports the core from here.

import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, isAbsolute, join, relative } from 'node:path'
import type * as Binding from '../binding.js'
import { libcOfProcess } from './libc.js'
import { keyOfMachine, type LoadContext, missingBinaryMessage } from './missing-binary.js'

/** The first line of an error's message (dlopen errors can run over several). */
function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  return message.split('\n')[0]!
}

/** A path as a user in the current directory would type it: relative when it is below it. */
function shownPath(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}

/** The environment settings that make binding.js look past (or beyond) the native binary. */
const LOADER_SETTINGS = ['NAPI_RS_FORCE_WASI', 'NAPI_RS_WASI_FLAVOR', 'NAPI_RS_ENFORCE_VERSION_CHECK']

/** Builds the error thrown when binding.js found nothing to load, after a diagnosis of our own. */
export function explainLoadFailure(original: unknown): Error {
  const root = join(__dirname, '..')
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
  const platformPackage = `${ctx.packageName}-${key}`
  const bindingJs = join(root, 'binding.js')
  // Resolved from binding.js's folder, as binding.js resolves it (a relative override too).
  const requireFromBinding = createRequire(bindingJs)
  const override = process.env['NAPI_RS_NATIVE_LIBRARY_PATH']
  // binding.js tries a file beside it first (a build of one's own), then the platform package;
  // it has such an entry only for the machines its generator knows.
  const localName = `${pkgJson.napi.binaryName}.${key}.node`
  const local = join(root, localName)
  let loaderText = ''
  try {
    loaderText = readFileSync(bindingJs, 'utf8')
  } catch {
    // Unreadable: leave the entry unknown.
  }
  ctx.ownBuildPath = loaderText === '' ? undefined : loaderText.includes(`require('./${localName}')`) ? shownPath(local) : null
  // The installed platform package: where, at which version, and the file it points at.
  let packageFile: string | undefined
  try {
    const manifestPath = requireFromBinding.resolve(`${platformPackage}/package.json`)
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version?: unknown; main?: unknown }
    ctx.packageDir = shownPath(dirname(manifestPath))
    if (typeof manifest.version === 'string') ctx.installedVersion = manifest.version
    packageFile = join(dirname(manifestPath), typeof manifest.main === 'string' ? manifest.main : 'index.js')
  } catch {
    // Not installed (or unreadable): the require below says which.
  }
  const request = override ? override : existsSync(local) ? local : platformPackage
  // Require the one candidate that matters again: its error is the real cause, with its code.
  let cause: unknown = original
  try {
    requireFromBinding(request)
    // It loads here, so binding.js failed on something else: never hand its error on as is.
    ctx.loadsAlone = true
    ctx.loaderSettings = LOADER_SETTINGS.filter((name) => process.env[name]).map((name) => `${name}=${process.env[name]}`)
  } catch (err) {
    cause = err
    const notFound = (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND'
    if (override) {
      ctx.overridePath = override
      ctx.installedButFailed = firstLine(err)
    } else if (request === local) {
      ctx.ownBuild = shownPath(local)
      ctx.installedButFailed = firstLine(err)
    } else if (notFound && request === platformPackage && ctx.packageDir !== undefined && packageFile !== undefined && !existsSync(packageFile)) {
      ctx.missingFile = shownPath(packageFile)
    } else if (!notFound || ctx.packageDir !== undefined) {
      ctx.installedButFailed = firstLine(err)
    }
  }
  const error = new Error(missingBinaryMessage(ctx)) as Error & { code: string; package: string }
  error.code = 'ERR_ATOMIC_PUBLISH_NO_BINARY'
  error.package = platformPackage
  error.cause = ctx.loadsAlone ? original : cause
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
