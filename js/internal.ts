// Settings the compatibility entry needs from the builder that are not part of the public API
// (they exist to reproduce the peers' options, not as features of their own).

/** The key of AtomicFile's method that takes [`CompatSettings`]; not exported by the package. */
export const compatSettings = Symbol('atomic-publish compat settings')

export interface CompatSettings {
  /** Permission bits masked by the umask, whatever the replaced file had (a peer's `mode: false`). */
  maskedMode?: number
  /** Leave the scratch owned by this process instead of the replaced file's owner (`chown: false`). */
  processOwner?: boolean
  /**
   * Ignore a refused chown/chmod as the peers do (graceful-fs's rule): ENOSYS always, EINVAL
   * and EPERM when not root. Without it, `withOwner` refused publishes nothing.
   */
  attributesBestEffort?: boolean
  /** Called with the scratch's path once it exists, before any byte is written; awaited. */
  onScratch?: (path: string) => unknown
  /**
   * An async terminal takes its place in call order at the call, as ever, but starts only once
   * this has resolved (the caller's `schedule`); if it rejects, the call fails with its error,
   * having touched nothing, and gives up its place.
   */
  startAfter?: Promise<unknown>
  /** Retry EPERM/EBUSY/EACCES/EMFILE/ENFILE/EAGAIN on the scratch's open and the rename this long. */
  retryBudgetMs?: number
  /** A failed publish leaves its scratch file (the peers' `tmpPurge: false`). */
  keepScratchOnFailure?: boolean
}
