// Option values of the command line, parsed strictly: a bad value is bad usage (exit 2).

import { invalidArgValue } from './errors.js'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `500ms`, `60s`, `5m`, `2h`, `1d`, or a plain number of milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim())
  if (!m) throw invalidArgValue('--older-than', text, 'must look like 500ms, 60s, 5m, 2h, 1d or a number of milliseconds')
  return Number(m[1]) * UNITS[m[2] ?? 'ms']
}

/** An octal mode such as `644` or `0o2755`. */
export function parseMode(text: string): number {
  const m = /^(?:0o?)?([0-7]{1,4})$/.exec(text.trim())
  if (!m) throw invalidArgValue('--mode', text, 'must be an octal mode from 0 to 7777')
  return Number.parseInt(m[1], 8)
}

/** An ISO date (ms precision), or a whole number of nanoseconds since the epoch (exact). */
export function parseMtime(text: string): Date | bigint {
  if (/^-?\d+$/.test(text.trim())) return BigInt(text.trim())
  const date = new Date(text)
  if (Number.isNaN(date.getTime())) throw invalidArgValue('--mtime', text, 'must be an ISO date or nanoseconds since the epoch')
  return date
}
