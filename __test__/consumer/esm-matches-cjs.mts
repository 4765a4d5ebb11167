// The ESM declarations name exactly what the CommonJS ones name, with identical types: each
// value, each class also as a type, and each type of every entry. types.spec.ts and
// pack.spec.ts compile it; a difference fails the compile.

import type * as Esm from 'atomic-publish'
import type * as Cjs from 'atomic-publish' with { 'resolution-mode': 'require' }
import type EsmCompat from 'atomic-publish/compat'
import type * as EsmCompatNamed from 'atomic-publish/compat'
import type CjsCompat from 'atomic-publish/compat' with { 'resolution-mode': 'require' }
import type EsmWfa from 'atomic-publish/compat/write-file-atomic'
import type * as EsmWfaNamed from 'atomic-publish/compat/write-file-atomic'
import type CjsWfa from 'atomic-publish/compat/write-file-atomic' with { 'resolution-mode': 'require' }
import type * as EsmAtomically from 'atomic-publish/compat/atomically'
import type * as CjsAtomically from 'atomic-publish/compat/atomically' with { 'resolution-mode': 'require' }

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
function same<A, B>(ok: Equal<A, B>): void {
  void ok
}

// The main entry: the same value names, each with the same type.
same<keyof typeof Esm, Exclude<keyof typeof Cjs, 'default'>>(true)
same<{ [K in keyof typeof Esm]: (typeof Esm)[K] }, { [K in keyof typeof Esm]: (typeof Cjs)[K] }>(true)
// The classes as types (instances), and the types.
same<Esm.AbortError, Cjs.AbortError>(true)
same<Esm.AtomicDir, Cjs.AtomicDir>(true)
same<Esm.AtomicFile, Cjs.AtomicFile>(true)
same<Esm.HashMismatchError, Cjs.HashMismatchError>(true)
same<Esm.StagedFile, Cjs.StagedFile>(true)
same<Esm.PublishOptions, Cjs.PublishOptions>(true)
same<Esm.PublishResult, Cjs.PublishResult>(true)
same<Esm.SweepIncompleteError, Cjs.SweepIncompleteError>(true)
same<Esm.DirManifest, Cjs.DirManifest>(true)

// atomic-publish/compat: the default export is the CommonJS module, its types included.
same<typeof EsmCompat, typeof CjsCompat>(true)
same<EsmCompat.WriteOptions, CjsCompat.WriteOptions>(true)
same<EsmCompat.Disposer, CjsCompat.Disposer>(true)
same<typeof EsmCompatNamed.readFileSync, typeof CjsCompat.readFileSync>(true)
same<EsmCompatNamed.ReadOptions, CjsCompat.ReadOptions>(true)
same<keyof typeof EsmCompatNamed, 'default' | 'writeFile' | 'writeFileSync' | 'readFile' | 'readFileSync' | 'sync'>(true)

// atomic-publish/compat/write-file-atomic.
same<typeof EsmWfa, typeof CjsWfa>(true)
same<EsmWfa.WriteOptions, CjsWfa.WriteOptions>(true)
same<typeof EsmWfaNamed.sync, typeof CjsWfa.sync>(true)
same<keyof typeof EsmWfaNamed, 'default' | 'sync'>(true)

// atomic-publish/compat/atomically.
same<keyof typeof EsmAtomically, Exclude<keyof typeof CjsAtomically, 'default'>>(true)
same<{ [K in keyof typeof EsmAtomically]: (typeof EsmAtomically)[K] }, { [K in keyof typeof EsmAtomically]: (typeof CjsAtomically)[K] }>(true)
same<EsmAtomically.WriteOptions, CjsAtomically.WriteOptions>(true)
