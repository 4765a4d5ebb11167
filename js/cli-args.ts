// Option values of the command line, parsed strictly: a bad value is bad usage (exit 2), and so
// is a value out of range. Nothing here is lenient, so no typo is ever read as something else.

import { inspect } from 'node:util'
import { invalidArgValue } from './errors.js'

/** The largest span, in milliseconds, a JS Date can express (and so the largest we accept). */
const MAX_DATE_MS = 8.64e15
const NS_PER_MS = 1_000_000n
const MAX_DATE_NS = BigInt(MAX_DATE_MS) * NS_PER_MS

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `ERR_OUT_OF_RANGE`, worded as Node words it. */
function outOfRange(name: string, range: string, value: string): RangeError {
  let shown = inspect(value)
  if (shown.length > 40) shown = `${shown.slice(0, 40)}...`
  const err = new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${shown}`)
  return Object.assign(err, { code: 'ERR_OUT_OF_RANGE' })
}

/**
 * `500ms`, `60s`, `5m`, `2h`, `1d` (a fraction allowed: `1.5h`), or a plain number of
 * milliseconds. At most 8.64e15 ms, the span a Date can express: beyond it, out of range.
 */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text)
  if (!m) throw invalidArgValue('--older-than', text, 'must look like 500ms, 60s, 5m, 2h, 1d or a number of milliseconds')
  const ms = Number(m[1]) * UNITS[m[2] ?? 'ms']
  if (!(ms <= MAX_DATE_MS)) throw outOfRange('--older-than', `at most ${MAX_DATE_MS} ms (100000000d)`, text)
  return ms
}

/** An octal mode from `0` to `7777`, optionally written `0644` or `0o644`. */
export function parseMode(text: string): number {
  const m = /^(?:0o?)?([0-7]{1,4})$/.exec(text)
  if (!m) throw invalidArgValue('--mode', text, 'must be an octal mode from 0 to 7777')
  return Number.parseInt(m[1], 8)
}

/**
 * The date-time grammar of `--mtime`, a profile of ISO 8601 (RFC 3339's, plus a date alone):
 * `YYYY-MM-DD` (midnight UTC), or `YYYY-MM-DDTHH:MM[:SS[.fraction]]` followed by `Z` or
 * `±HH:MM`. The fraction has 1 to 9 digits and is kept to the nanosecond. A date-time without
 * an offset is refused rather than read in whatever time zone the machine happens to have.
 */
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):(\d{2})))?$/

const MTIME_GRAMMAR = 'must be an ISO 8601 date (2024-01-02), a date-time with Z or an offset (2024-01-02T03:04:05.123456789+02:00), or a whole number of nanoseconds since the epoch'

/**
 * `--mtime`: an ISO 8601 date or date-time (see ISO_DATE_TIME), or a whole, non-negative number of
 * nanoseconds since the epoch; nanoseconds since the epoch either way, exactly. A bare number
 * is always nanoseconds, so `2020` is 2020 ns after the epoch: the year is `2020-01-01`.
 */
export function parseMtime(text: string): bigint {
  // A negative count is refused: `--mtime -1` cannot reach here (the parser takes it for an
  // option), so `--mtime=-1` must not mean something else; a date before 1970 is written in ISO.
  if (/^-\d+$/.test(text)) throw invalidArgValue('--mtime', text, 'must not be a negative number of nanoseconds (write a date before 1970 as ISO 8601, 1969-12-31T23:59:59Z)')
  const ns = /^\d+$/.test(text) ? BigInt(text) : isoToNanoseconds(text)
  if (ns > MAX_DATE_NS || ns < -MAX_DATE_NS) throw outOfRange('--mtime', 'within ±8.64e15 ms of the epoch, what a Date can hold', text)
  return ns
}

function isoToNanoseconds(text: string): bigint {
  const m = ISO_DATE_TIME.exec(text)
  if (!m) throw invalidArgValue('--mtime', text, MTIME_GRAMMAR)
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((part) => Number(part ?? 0))
  const offsetHours = Number(m[10] ?? 0)
  const offsetMinutes = Number(m[11] ?? 0)
  const date = new Date(0)
  // setUTCFullYear, unlike Date.UTC, reads years 0-99 as themselves, not as 1900-1999.
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second)
  const fieldsValid =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60 &&
    offsetHours < 24 &&
    offsetMinutes < 60
  if (!fieldsValid) throw invalidArgValue('--mtime', text, 'names a date or time that does not exist')
  const fraction = BigInt((m[7] ?? '').padEnd(9, '0'))
  const offsetNs = BigInt((offsetHours * 60 + offsetMinutes) * 60) * 1_000_000_000n * (m[9] === '-' ? -1n : 1n)
  return BigInt(date.getTime()) * NS_PER_MS + fraction - offsetNs
}
