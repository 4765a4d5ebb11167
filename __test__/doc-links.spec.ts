// Every relative link of the Markdown the repository ships (README, CHANGELOG, CONTRIBUTING,
// docs/ and the API reference under it) names a file that exists, and every `#anchor` a heading
// (or an explicit anchor) of the page it points to, as GitHub renders them.

import test from 'ava'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'

const ROOT = join(__dirname, '..', '..')

/** The Markdown pages whose links are checked, relative to the root. */
function pages(): string[] {
  const under = (dir: string): string[] =>
    readdirSync(join(ROOT, dir)).flatMap((name) => {
      const path = join(dir, name)
      return statSync(join(ROOT, path)).isDirectory() ? under(path) : name.endsWith('.md') ? [path] : []
    })
  return ['README.md', 'CHANGELOG.md', 'CONTRIBUTING.md', ...under('docs')]
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading
    .replace(/<[^>]*>/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

/** The anchors a page offers: its headings' slugs (numbered when repeated) and explicit ids. */
function anchors(markdown: string): Set<string> {
  const found = new Set<string>()
  const seen = new Map<string, number>()
  for (const m of withoutFences(markdown).matchAll(/^#{1,6}\s+(.*?)\s*#*$/gm)) {
    const base = slug(m[1]!)
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    found.add(n === 0 ? base : `${base}-${n}`)
  }
  for (const m of markdown.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) found.add(m[1]!)
  return found
}

/** The text without its fenced code blocks, whose lines are no headings. */
function withoutFences(markdown: string): string {
  return markdown.replace(/^ *```[\s\S]*?^ *```$/gm, '')
}

/** The text with code blanked, fenced and inline, so examples are not read as links. */
function withoutCode(markdown: string): string {
  return withoutFences(markdown).replace(/`[^`\n]*`/g, '')
}

/** Every link target in a page: inline `[text](target)` and reference `[id]: target`. */
function links(markdown: string): string[] {
  const text = withoutCode(markdown)
  const inline = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!)
  const reference = [...text.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)].map((m) => m[1]!)
  return [...inline, ...reference]
}

test('every relative link and anchor in the Markdown pages resolves', (t) => {
  const broken: string[] = []
  let checked = 0
  for (const page of pages()) {
    const text = readFileSync(join(ROOT, page), 'utf8')
    for (const link of links(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue // http:, https:, mailto: leave the repository
      checked++
      const [pathPart, anchor] = link.split('#') as [string, string | undefined]
      const target = pathPart === '' ? join(ROOT, page) : join(ROOT, dirname(page), decodeURIComponent(pathPart))
      if (relative(ROOT, target).startsWith('..')) {
        broken.push(`${page}: ${link} (outside the repository)`)
        continue
      }
      if (!existsSync(target)) {
        broken.push(`${page}: ${link} (no such file)`)
        continue
      }
      if (anchor !== undefined && target.endsWith('.md') && !anchors(readFileSync(target, 'utf8')).has(anchor)) {
        broken.push(`${page}: ${link} (no such heading)`)
      }
    }
  }
  t.true(checked > 50, `links checked: ${checked}`)
  t.deepEqual(broken, [])
})

test('anchors are computed as GitHub computes them', (t) => {
  t.is(slug('Files you may see: `.oxentmp.`'), 'files-you-may-see-oxentmp')
  t.is(slug('How it compares'), 'how-it-compares')
  t.deepEqual([...anchors('## Tests that mock `fs`')], ['tests-that-mock-fs'])
  t.is(slug('Electron Forge & electron-builder'), 'electron-forge--electron-builder')
  t.deepEqual([...anchors('# A\n## A\n```\n# not a heading\n```\n<a id="x"></a>')], ['a', 'a-1', 'x'])
  t.deepEqual(links('[a](b.md) `[c](d.md)` [e](https://x) \n[f]: g.md#h'), ['b.md', 'https://x', 'g.md#h'])
})
