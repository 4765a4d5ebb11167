// The explanation of a failed load of the native core: which prebuilt package this machine
// needs, whether one is published for it, and the command that fixes it. Pure (no loading, no
// file-system access), so that every platform's message can be checked on any machine.

/** What the message needs to know about the machine and the install; injectable for tests. */
export interface LoadContext {
  platform: string
  arch: string
  /** 'glibc' or 'musl' on Linux, null elsewhere. */
  libc: string | null
  /** The main package's version: the platform packages are published with the same one. */
  version: string
  /** package.json `napi.targets`: the Rust target triples a prebuilt binary is published for. */
  targets: readonly string[]
  /** The scope-and-prefix of the platform packages (package.json `napi.packageName`). */
  packageName: string
  /** Set when the platform's package (or a build beside binding.js) is installed: why requiring it failed. */
  installedButFailed?: string
  /** NAPI_RS_NATIVE_LIBRARY_PATH, when the caller pointed the loader at a file of their own. */
  overridePath?: string
  /** A build of one's own beside binding.js, when there is one (it is tried before the package). */
  ownBuild?: string
  /** The version in the installed platform package's package.json, when it is installed. */
  installedVersion?: string
  /** Where the platform package was found, as the fix command should name it. */
  packageDir?: string
  /** Set when the platform package is installed but the file its package.json names is absent. */
  missingFile?: string
  /** Set when the binary this machine needs loads on its own although binding.js failed. */
  loadsAlone?: boolean
  /** Loader settings in the environment that change what binding.js looks for (`NAME=value`). */
  loaderSettings?: readonly string[]
  /**
   * Where binding.js first looks for a build of one's own for this machine (beside itself), or
   * null when it has no entry for this machine at all.
   */
  ownBuildPath?: string | null
}

const ARCH_OF_TRIPLE: Record<string, string> = { x86_64: 'x64', aarch64: 'arm64', i686: 'ia32', armv7: 'arm', riscv64gc: 'riscv64', powerpc64le: 'ppc64', s390x: 's390x', loongarch64: 'loong64' }

/**
 * The platform key napi-rs names packages and files by (`linux-x64-gnu`, `win32-ia32-msvc`,
 * `linux-arm-gnueabihf`, `darwin-arm64`…), from a Rust target triple.
 */
export function keyOfTriple(triple: string): string | null {
  const parts = triple.split('-')
  const arch = ARCH_OF_TRIPLE[parts[0]!]
  if (arch === undefined) return null
  const rest = parts.slice(1).join('-')
  if (rest.endsWith('apple-darwin')) return `darwin-${arch}`
  if (rest.endsWith('windows-msvc')) return `win32-${arch}-msvc`
  if (rest.endsWith('windows-gnu')) return `win32-${arch}-gnu`
  if (rest.endsWith('freebsd')) return `freebsd-${arch}`
  if (rest === 'linux-androideabi') return `android-${arch}-eabi`
  if (rest === 'linux-android') return `android-${arch}`
  const linux = /^(?:unknown-)?linux-(gnu|musl|gnueabihf|musleabihf)$/.exec(rest)
  return linux ? `linux-${arch}-${linux[1]}` : null
}

/** The key of the binary binding.js looks for on this machine (the same rules it applies). */
export function keyOfMachine(platform: string, arch: string, libc: string | null): string {
  switch (platform) {
    case 'linux': {
      const flavour = libc === 'musl' ? 'musl' : 'gnu'
      return arch === 'arm' ? `linux-arm-${flavour}eabihf` : `linux-${arch}-${flavour}`
    }
    case 'win32':
      return `win32-${arch}-msvc`
    case 'android':
      return arch === 'arm' ? 'android-arm-eabi' : `android-${arch}`
    default:
      return `${platform}-${arch}`
  }
}

/** A path as a POSIX shell word (quoted only when it needs to be). */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

/** The one-line (first line) explanation of a failed load; later lines only list the platforms. */
export function missingBinaryMessage(ctx: LoadContext): string {
  const machine = `${ctx.platform} ${ctx.arch}${ctx.libc ? ` ${ctx.libc}` : ''}`
  const key = keyOfMachine(ctx.platform, ctx.arch, ctx.libc)
  const name = `${ctx.packageName}-${key}`
  const pkg = `${name}@${ctx.version}`
  const supported = ctx.targets.map(keyOfTriple).filter((k): k is string => k !== null)
  // `npm install` alone keeps a package whose folder is there ("up to date"): remove it first.
  const dir = ctx.packageDir ?? `node_modules/${name}`
  const reinstall = ctx.platform === 'win32' ? `delete the folder ${dir}, then run npm install` : `rm -rf ${shellWord(dir)} && npm install`
  if (ctx.overridePath !== undefined) {
    return `atomic-publish: the native binary NAPI_RS_NATIVE_LIBRARY_PATH names (${ctx.overridePath}) does not load on ${machine}: ${ctx.installedButFailed ?? 'unknown error'}; fix: point it at a ${key} build, or unset it to use ${pkg}`
  }
  if (ctx.ownBuild !== undefined) {
    return `atomic-publish: the build at ${ctx.ownBuild}, which the loader tries first, does not load on ${machine}: ${ctx.installedButFailed ?? 'unknown error'}; fix: replace it with a ${key} build${supported.includes(key) ? `, or remove it to use ${pkg}` : ''}`
  }
  if (!supported.includes(key)) {
    const build = '`npx napi build --platform --release` in a clone of the repository'
    const fix =
      ctx.ownBuildPath === null
        ? `none without a change to the package: its loader has no entry for ${key}, so it cannot load a build of your own either`
        : `build the addon from source (${build}) and copy the .node file to ${ctx.ownBuildPath ?? `node_modules/atomic-publish/atomic-publish.${key}.node`}, where the loader looks first`
    return `atomic-publish: no prebuilt binary for ${machine}: this platform is not supported (${pkg} is not published); fix: ${fix}\nPrebuilt platforms: ${supported.join(', ')}`
  }
  if (ctx.installedVersion !== undefined && ctx.installedVersion !== ctx.version) {
    const why = ctx.installedButFailed !== undefined ? ` (it does not load: ${ctx.installedButFailed})` : ''
    return `atomic-publish: the prebuilt binary for ${machine} is at another version: ${name}@${ctx.installedVersion} is installed, ${ctx.version} is needed${why}; fix: ${reinstall} (this platform is supported)`
  }
  if (ctx.missingFile !== undefined) {
    return `atomic-publish: the prebuilt binary for ${machine} is missing: the package ${pkg} is installed but its binary file ${ctx.missingFile} is missing; fix: ${reinstall} (this platform is supported)`
  }
  if (ctx.installedButFailed !== undefined) {
    return `atomic-publish: the prebuilt binary for ${machine} (${pkg}) is installed but does not load: ${ctx.installedButFailed}; fix: ${reinstall} (this platform is supported)`
  }
  if (ctx.loadsAlone) {
    const settings = ctx.loaderSettings ?? []
    const fix = settings.length > 0 ? `unset ${settings.map((s) => s.split('=')[0]).join(' and ')}` : 'see the cause of this error for what the loader tried'
    return `atomic-publish: the native binary did not load on ${machine}, although the one this machine needs (${key}, ${pkg}) loads on its own: the loader looked for something else${settings.length > 0 ? ` (${settings.join(', ')} is set)` : ''} and failed; fix: ${fix}`
  }
  return `atomic-publish: no prebuilt binary for ${machine}: the package ${pkg} is not installed (an install with --omit=optional or --no-optional, or a lockfile made on another platform, leaves it out); fix: npm install ${pkg} (this platform is supported)`
}
