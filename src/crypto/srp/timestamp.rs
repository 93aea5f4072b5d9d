//! `TIMESTAMP`, the time a client signs its `PASSWORD_CLAIM_SIGNATURE` at, in the shape
//! the SDKs write it.

use chrono::{DateTime, NaiveDate};

/// `Tue Dec 1 08:22:07 UTC 2026`: the JS SDK's `DateHelper` shape (Java's
/// `EEE MMM d HH:mm:ss z yyyy`), day not zero-padded.
pub fn format_timestamp(epoch_millis: i64) -> String {
    // Out of chrono's range only for a clock hundreds of millennia off: show the epoch.
    let at = DateTime::from_timestamp_millis(epoch_millis).unwrap_or_default();
    at.format("%a %b %-d %H:%M:%S UTC %Y").to_string()
}

/// A `TIMESTAMP` in exactly [`format_timestamp`]'s shape, as epoch milliseconds. A
/// zero-padded day, a weekday that is not the date's, or any other spelling is `None`, as
/// Cognito refuses them.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut parts = s.split(' ');
    let (_weekday, month, day, time, zone, year) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if parts.next().is_some() || zone != "UTC" {
        return None;
    }
    let month = MONTHS.iter().position(|m| *m == month)? as u32 + 1;
    let day = number(day, 1, 2)?;
    let mut hms = time.split(':');
    let (hour, minute, second) = (
        number(hms.next()?, 2, 2)?,
        number(hms.next()?, 2, 2)?,
        number(hms.next()?, 2, 2)?,
    );
    if hms.next().is_some() {
        return None;
    }
    let year = i32::try_from(number(year, 4, 4)?).ok()?;
    let ms = NaiveDate::from_ymd_opt(year, month, day)?
        .and_hms_opt(hour, minute, second)?
        .and_utc()
        .timestamp_millis();
    // Writing it back must give the same text: that checks the weekday and the unpadded day.
    (format_timestamp(ms) == s).then_some(ms)
}

/// ASCII digits only (no sign), `min..=max` of them.
fn number(s: &str, min: usize, max: usize) -> Option<u32> {
    if s.len() < min || s.len() > max || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_in_the_sdk_shape() {
        // 2026-12-01 08:22:07 UTC.
        let ms = 1_796_113_327_000;
        assert_eq!(format_timestamp(ms), "Tue Dec 1 08:22:07 UTC 2026");
        assert_eq!(parse_timestamp("Tue Dec 1 08:22:07 UTC 2026"), Some(ms));
        assert_eq!(format_timestamp(ms + 999), "Tue Dec 1 08:22:07 UTC 2026");
        assert_eq!(
            format_timestamp(1_531_220_460_000),
            "Tue Jul 10 11:01:00 UTC 2018"
        );
        assert_eq!(format_timestamp(0), "Thu Jan 1 00:00:00 UTC 1970");
        let late = parse_timestamp("Sun Nov 29 23:59:59 UTC 2026").unwrap();
        assert_eq!(format_timestamp(late), "Sun Nov 29 23:59:59 UTC 2026");

        for bad in [
            "Tue Dec 01 08:22:07 UTC 2026",
            "Wed Dec 1 08:22:07 UTC 2026",
            "Tue Dec  1 08:22:07 UTC 2026",
            "Tue Dec 1 8:22:07 UTC 2026",
            "Tue Dec 1 08:22:07 GMT 2026",
            "Tue Dec 1 08:22:07 UTC 2026 ",
            "Tue dec 1 08:22:07 UTC 2026",
            "Tuesday Dec 1 08:22:07 UTC 2026",
            "Tue Dec 1 08:22:07:00 UTC 2026",
            "Tue Dec +1 08:22:07 UTC 2026",
            "Tue Dec 1 24:00:00 UTC 2026",
            "Tue Dec 1 23:59:60 UTC 2026",
            "Tue Feb 30 08:22:07 UTC 2026",
            "Tue Dec 1 08:22:07 UTC 26",
            "",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad:?}");
        }
    }
}
