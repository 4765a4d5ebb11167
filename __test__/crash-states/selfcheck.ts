// Self-check: replaying every parsed op from the starting tree must give exactly what the real
// run left on disk, name for name and byte for byte; otherwise the parse is wrong and nothing
// built from it can be trusted.

import { type Parsed } from './parse.js'
import { newContent, type Workload } from './plan.js'
import { replayAll } from './ops.js'
import { bytesOf, treeFromDisk, type Tree } from './tree.js'

export function selfCheck(w: Workload, start: Tree, parsed: Parsed): void {
  const replayed = replayAll(start, parsed.ops)
  const real = treeFromDisk(w.root)
  const source = newContent(w.newSize)
  const describe = (t: Tree): string[] => t.walk().map(({ rel, node }) => (node.kind === 'dir' ? `${rel}/` : node.kind === 'link' ? `${rel} -> ${node.target}` : `${rel} ${bytesOf(node, source).toString('base64').length}`))
  const a = describe(replayed)
  const b = describe(real)
  const same = a.join('\n') === b.join('\n') && replayed.walk().every(({ rel, node }) => {
    const other = real.lookup(rel)
    const o = other === undefined ? undefined : real.nodes.get(other)
    if (node.kind !== 'file') return o?.kind === node.kind
    return o?.kind === 'file' && bytesOf(node, source).equals(o.base)
  })
  if (!same) throw new Error(`${w.id}: replaying the parsed ops does not give the real end state\n replay: ${a.join(', ')}\n real:   ${b.join(', ')}`)
}
