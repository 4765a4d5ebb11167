// Power cut on loop-mounted ext4, xfs and btrfs (guarantee 2): a resolved publish survives;
// at 'file' durability the target holds the old bytes or the new, never torn or empty.
// A writer that skips the directory fsync is run through the same check, which must catch it.

import { canCutPower, cutPower, type FileSystem } from './reliability/powercut.js'
import { loopDevices, mountsTmpfs, needs } from './helpers.js'

for (const fs of ['ext4', 'xfs', 'btrfs'] as FileSystem[]) {
  const tools = { ok: canCutPower(fs), what: `root with losetup and mkfs.${fs}` }
  const maybe = needs([], { serial: true, also: tools.ok ? [mountsTmpfs(), loopDevices] : tools })
  maybe(`${fs}: a resolved publish survives a power cut; a writer without the directory fsync does not`, (t) => {
    const published = cutPower(fs, 'protocol')
    t.deepEqual(published, { found: 'v2', orphans: 0 }, 'the full protocol')
    t.deepEqual(cutPower(fs, 'concurrent'), { found: 'v2', orphans: 0 }, '16 concurrent publishes sharing directory fsyncs')
    // 'file': the scratch was fsynced, the directory was not: the rename may be lost, the
    // bytes never torn (nor an empty file, as without any fsync on xfs).
    const file = cutPower(fs, 'file')
    t.true(file.found === 'v1' || file.found === 'v2', `withDurability('file') → ${file.found}`)
    const broken = cutPower(fs, 'no-dir-fsync')
    t.log(`${fs}: protocol → ${published.found}; 'file' → ${file.found}; no directory fsync → ${broken.found} + ${broken.orphans} orphan(s)`)
    t.not(broken.found, 'v2', 'the check can fail: without the directory fsync the rename is lost')
  })
}
