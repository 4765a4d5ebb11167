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
  /** Set when the platform's package is installed: why requiring it failed. */
  installedButFailed?: string
  /** NAPI_RS_NATIVE_LIBRARY_PATH, when the caller pointed the loader at a file of their own. */
  overridePath?: string
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

/** The one-line (first line) explanation of a failed load; later lines only list the platforms. */
export function missingBinaryMessage(ctx: LoadContext): string {
  const machine = `${ctx.platform} ${ctx.arch}${ctx.libc ? ` ${ctx.libc}` : ''}`
  const key = keyOfMachine(ctx.platform, ctx.arch, ctx.libc)
  const pkg = `${ctx.packageName}-${key}@${ctx.version}`
  const supported = ctx.targets.map(keyOfTriple).filter((k): k is string => k !== null)
  if (ctx.overridePath !== undefined) {
    return `atomic-publish: the native binary NAPI_RS_NATIVE_LIBRARY_PATH names (${ctx.overridePath}) does not load on ${machine}: ${ctx.installedButFailed ?? 'unknown error'}; fix: point it at a ${key} build, or unset it to use ${pkg}`
  }
  if (!supported.includes(key)) {
    return `atomic-publish: no prebuilt binary for ${machine}: this platform is not supported (${pkg} is not published); fix: build the addon from source (\`npx napi build --platform --release\` in a clone of the repository) and set NAPI_RS_NATIVE_LIBRARY_PATH to the .node file\nPrebuilt platforms: ${supported.join(', ')}`
  }
  if (ctx.installedButFailed !== undefined) {
    return `atomic-publish: the prebuilt binary for ${machine} (${pkg}) is installed but does not load: ${ctx.installedButFailed}; fix: reinstall it (npm install ${pkg}) (this platform is supported)`
  }
  return `atomic-publish: no prebuilt binary for ${machine}: the package ${pkg} is not installed (an install with --omit=optional or --no-optional, or a lockfile made on another platform, leaves it out); fix: npm install ${pkg} (this platform is supported)`
}
