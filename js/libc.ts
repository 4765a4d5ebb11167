// The C library of a Linux process, decided the way the generated loader (binding.js) decides it,
// in the same order: the text of /usr/bin/ldd, then Node's diagnostic report, then the output of
// `ldd --version`. A diagnosis that decided otherwise (a musl runtime on a glibc host, an ldd
// that says musl) would name a package the loader never looked for.

import { execSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** What the decision reads, each null when unavailable; injectable for tests. */
export interface LibcSources {
  /** The text of /usr/bin/ldd. */
  lddScript(): string | null
  /** Node's diagnostic report (`process.report.getReport()`). */
  report(): { header?: { glibcVersionRuntime?: string }; sharedObjects?: unknown } | null
  /** The output of `ldd --version`. */
  lddVersion(): string | null
}

const isMuslFile = (f: unknown): boolean => typeof f === 'string' && (f.includes('libc.musl-') || f.includes('ld-musl-'))

/** 'musl' or 'glibc': the first source that is available decides, as in binding.js. */
export function libcFrom(sources: LibcSources): 'musl' | 'glibc' {
  const script = sources.lddScript()
  if (script !== null) return script.includes('musl') ? 'musl' : 'glibc'
  const report = sources.report()
  if (report) {
    if (report.header?.glibcVersionRuntime) return 'glibc'
    return Array.isArray(report.sharedObjects) && report.sharedObjects.some(isMuslFile) ? 'musl' : 'glibc'
  }
  const version = sources.lddVersion()
  return version !== null && version.includes('musl') ? 'musl' : 'glibc'
}

const processSources: LibcSources = {
  lddScript() {
    try {
      return readFileSync('/usr/bin/ldd', 'utf-8')
    } catch {
      return null
    }
  },
  report() {
    if (typeof process.report?.getReport !== 'function') return null
    // As binding.js does: the report's network section can take seconds to gather.
    ;(process.report as { excludeNetwork?: boolean }).excludeNetwork = true
    return process.report.getReport() as ReturnType<LibcSources['report']>
  },
  lddVersion() {
    try {
      return execSync('ldd --version', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    } catch {
      return null
    }
  },
}

/** The C library of this process on Linux, as binding.js decides it; null elsewhere. */
export function libcOfProcess(): 'musl' | 'glibc' | null {
  return process.platform === 'linux' ? libcFrom(processSources) : null
}
