// What every bench shares: medians, the event-loop delay monitor, and the table printer
// (console.table, or Markdown with BENCH_MARKDOWN=1, as docs/performance.md shows them).

import { monitorEventLoopDelay } from 'node:perf_hooks'

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Run `work` while sampling the event loop's delay; returns its result with p99 and max (ms). */
export async function withLoopDelay(work) {
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  try {
    const result = await work()
    return { result, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 }
  } finally {
    delay.disable()
  }
}

/** `p99 / max` of several runs' loop delays, as the tables show it. */
export const loopColumn = (runs) =>
  `${median(runs.map((r) => r.p99)).toFixed(1)} / ${median(runs.map((r) => r.max)).toFixed(1)}`

export function printTable(title, rows) {
  console.log(title)
  if (!process.env.BENCH_MARKDOWN) return console.table(rows)
  const keys = Object.keys(rows[0])
  console.log(`| ${keys.join(' | ')} |\n|${keys.map(() => '---').join('|')}|`)
  for (const row of rows) console.log(`| ${keys.map((k) => row[k]).join(' | ')} |`)
}
