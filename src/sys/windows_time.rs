//! Which modification times Windows can stamp: a FILETIME counts 100 ns intervals since
//! 1601-01-01 UTC. `SetFileTime` takes 0 to mean "leave this time as it is" (so exactly
//! 1601-01-01 cannot be set), and a count with the top bit set is no time at all
//! (`FileTimeToSystemTime` refuses it): what fits is 1 to `i64::MAX` intervals, up to
//! 30828-09-14. Pure arithmetic, so it is unit-tested on every platform.

/// Seconds from 1601-01-01 to 1970-01-01.
const EPOCH_FROM_1601: i128 = 11_644_473_600;
const INTERVALS_PER_SEC: i128 = 10_000_000;

/// The FILETIME of `secs` and `nanos` since the Unix epoch, in 100 ns intervals (the
/// nanoseconds below 100 are dropped, as Windows keeps none); `None` where it does not fit.
pub fn filetime_of(secs: i64, nanos: u32) -> Option<i64> {
    let intervals =
        (i128::from(secs) + EPOCH_FROM_1601) * INTERVALS_PER_SEC + i128::from(nanos / 100);
    i64::try_from(intervals).ok().filter(|&n| n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1601-01-01 and 30828-09-14T02:48:05.4775807 UTC, in Unix seconds.
    const FIRST_DAY: i64 = -11_644_473_600;
    const LAST_SEC: i64 = 910_692_730_085;

    #[test]
    fn the_unix_epoch_is_its_known_filetime() {
        assert_eq!(filetime_of(0, 0), Some(116_444_736_000_000_000));
        assert_eq!(filetime_of(0, 1_234), Some(116_444_736_000_000_012));
    }

    #[test]
    fn exactly_1601_and_anything_before_it_does_not_fit() {
        assert_eq!(filetime_of(FIRST_DAY, 0), None, "0 means 'unchanged'");
        assert_eq!(filetime_of(FIRST_DAY, 99), None, "still 0 intervals");
        assert_eq!(filetime_of(FIRST_DAY, 100), Some(1));
        assert_eq!(filetime_of(FIRST_DAY - 1, 999_999_999), None);
        assert_eq!(filetime_of(i64::MIN, 0), None);
    }

    #[test]
    fn the_last_interval_of_30828_fits_and_the_next_does_not() {
        assert_eq!(filetime_of(LAST_SEC, 477_580_700), Some(i64::MAX));
        assert_eq!(filetime_of(LAST_SEC, 477_580_800), None);
        assert_eq!(filetime_of(LAST_SEC + 1, 0), None);
        assert_eq!(filetime_of(i64::MAX, 999_999_999), None);
    }
}
