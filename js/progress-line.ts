// The command line's progress: one line on a terminal, as pv shows it,
// `1.2 GiB / 1.5 GiB  312 MiB/s  ETA 0:01`, redrawn in place; the last one stays, as pv's does.
// `renderProgress` is a pure function of the counts and the time elapsed.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB']

/** `n` bytes in binary units: `512 B`, `1.2 GiB`, `312 MiB` (a decimal below 100). */
export function formatBytes(n: number): string {
  let value = n
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  // 1023.96 KiB (or a rate of 1023.6 B/s) would round to "1024": shown in the next unit up instead.
  if (Math.round(value) >= 1024 && unit < UNITS.length - 1) return `1.0 ${UNITS[unit + 1]}`
  if (unit === 0) return `${Math.round(value)} B`
  const tenths = Math.round(value * 10) / 10
  return `${tenths < 100 ? tenths.toFixed(1) : Math.round(value).toString()} ${UNITS[unit]}`
}

/** Whole seconds as `M:SS`, or `H:MM:SS` from an hour on. */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.ceil(seconds))
  const h = Math.floor(whole / 3600)
  const m = Math.floor((whole % 3600) / 60)
  const s = String(whole % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`
}

export interface ProgressSample {
  bytes: number
  /** The size to reach, when it is known. */
  total?: number
  /** Time since the work began. */
  elapsedMs: number
}

/**
 * One progress line: what is done (and of what total), the mean rate so far, and with a total
 * the time left at that rate (`ETA -:--` until a rate can be told).
 */
export function renderProgress({ bytes, total, elapsedMs }: ProgressSample): string {
  const done = total === undefined ? formatBytes(bytes) : `${formatBytes(bytes)} / ${formatBytes(total)}`
  const rate = elapsedMs > 0 && bytes > 0 ? (bytes * 1000) / elapsedMs : undefined
  const parts = [done, rate === undefined ? '-- B/s' : `${formatBytes(rate)}/s`]
  if (total !== undefined) {
    const left = Math.max(0, total - bytes)
    parts.push(`ETA ${left === 0 ? '0:00' : rate === undefined ? '-:--' : formatDuration(left / rate)}`)
  }
  return parts.join('  ')
}

/** Where the line is drawn: a terminal's stderr, or a stand-in for it. */
export interface LineOutput {
  write(text: string): unknown
}

/** A progress line redrawn in place on `out` (carriage return, clear to the end of the line). */
export class ProgressLine {
  readonly #start: number
  #drawn = false

  constructor(
    private readonly out: LineOutput,
    private readonly total: number | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#start = now()
  }

  update(bytes: number, total = this.total): void {
    this.#drawn = true
    this.out.write(`\r${renderProgress({ bytes, total, elapsedMs: this.now() - this.#start })}\u001b[K`)
  }

  /** End the line: what follows (a message, the prompt) starts on a line of its own. */
  stop(): void {
    if (this.#drawn) this.out.write('\n')
  }
}
