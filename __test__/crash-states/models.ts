// Persistence models, as data: what may have reached the disk when the power goes.
//
// order        prefix-all: pieces persist in program order (a prefix of them all);
//              journal: name and size changes persist as a prefix of one journal, file data
//              in any subset; any: every piece independently.
// fileSync     what a completed fsync/fdatasync of a file forces: 'journal' (every earlier
//              name change, and that file's data), 'data-and-names' (that file's data and the
//              entries naming it), 'data' (that file's data only).
// dirSync      what a completed fsync of a directory forces: 'journal' (every earlier name
//              change), 'entries' (that directory's entries only).
// renameOverForcesData   a rename over an existing name carries the renamed file's data
//              (ext4's auto_da_alloc).
// renameAtomic a rename is one piece; otherwise the old name goes, the new comes and the
//              source goes, one at a time.
// splitWrites  a write persists in block pieces (first block, middle, last block).
// unnamedSyncForcesData  an fsync of a file that has no name yet (O_TMPFILE) forces its data.
//              btrfs: not through its log; the flushed data only rides the next journal
//              commit, so a name that persists through a later fsync's log may show no data.

export interface Model {
  name: string
  title: string
  order: 'prefix-all' | 'journal' | 'any'
  fileSync: 'journal' | 'data-and-names' | 'data'
  dirSync: 'journal' | 'entries'
  renameOverForcesData: boolean
  renameAtomic: boolean
  splitWrites: boolean
  unnamedSyncForcesData: boolean
}

export const MODELS: Model[] = [
  { name: 'in-order', title: 'in order (a process crash; ext4 data=journal)', order: 'prefix-all', fileSync: 'journal', dirSync: 'journal', renameOverForcesData: false, renameAtomic: true, splitWrites: false, unnamedSyncForcesData: true },
  { name: 'ext4', title: 'ext4 data=ordered, auto_da_alloc', order: 'journal', fileSync: 'journal', dirSync: 'journal', renameOverForcesData: true, renameAtomic: true, splitWrites: true, unnamedSyncForcesData: true },
  { name: 'xfs', title: 'xfs (also ext4 noauto_da_alloc)', order: 'journal', fileSync: 'journal', dirSync: 'journal', renameOverForcesData: false, renameAtomic: true, splitWrites: true, unnamedSyncForcesData: true },
  { name: 'btrfs', title: 'btrfs (fsync logs one file, a directory fsync one directory)', order: 'journal', fileSync: 'data-and-names', dirSync: 'entries', renameOverForcesData: false, renameAtomic: true, splitWrites: true, unnamedSyncForcesData: false },
  { name: 'weak', title: 'weak POSIX (durable only after its own fsync; any order)', order: 'any', fileSync: 'data', dirSync: 'entries', renameOverForcesData: false, renameAtomic: true, splitWrites: true, unnamedSyncForcesData: true },
  { name: 'alice', title: "ALICE's default (in order, rename not atomic)", order: 'prefix-all', fileSync: 'journal', dirSync: 'journal', renameOverForcesData: false, renameAtomic: false, splitWrites: true, unnamedSyncForcesData: true },
]
