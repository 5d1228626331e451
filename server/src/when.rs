//! Times for people: the admin commands print and read local times (the
//! system's time zone, or `TZ`), and keep Unix seconds for `--json`.

use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned, civil};

/// `2026-11-23 09:00:00 JST`: a Unix time in the local time zone.
pub fn local(unix: u64) -> String {
    let Ok(t) = Timestamp::from_second(i64::try_from(unix).unwrap_or(i64::MAX)) else {
        return format!("@{unix}");
    };
    t.to_zoned(TimeZone::system()).strftime("%Y-%m-%d %H:%M:%S %Z").to_string()
}

/// `2026-11-23T09:00:00+09:00`: a Unix time in the local time zone, with its
/// offset (CSV exports: unambiguous and readable).
pub fn local_iso(unix: u64) -> String {
    let Ok(t) = Timestamp::from_second(i64::try_from(unix).unwrap_or(i64::MAX)) else {
        return format!("@{unix}");
    };
    t.to_zoned(TimeZone::system()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// Reads a time an administrator typed: `2026-11-23 09:00`, `2026-11-23T09:00:00`,
/// `2026-11-23` (midnight) in the local time zone, or with an offset
/// (`2026-11-23T09:00+09:00`, `2026-11-23T00:00Z`). Returns Unix seconds.
pub fn parse(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let bad = || {
        format!(
            "{text:?} is not a time: write 2026-11-23 09:00 (local time), 2026-11-23, or \
             2026-11-23T09:00+09:00"
        )
    };
    let ts = if let Ok(t) = text.parse::<Timestamp>() {
        t
    } else {
        let normalised = text.replacen(' ', "T", 1);
        let dt = normalised
            .parse::<civil::DateTime>()
            .or_else(|_| text.parse::<civil::Date>().map(|d| d.to_datetime(civil::Time::midnight())))
            .map_err(|_| bad())?;
        let zoned: Zoned = dt.to_zoned(TimeZone::system()).map_err(|_| bad())?;
        zoned.timestamp()
    };
    u64::try_from(ts.as_second()).map_err(|_| format!("{text:?} is before 1970"))
}

/// `YYYY-MM-DD HH:MM UTC` of Unix seconds (the date is the core's), for
/// texts that go to people whose time zone the server does not know (a
/// RADIUS Reply-Message, the appliance stand-in's page).
pub fn utc(t: u64) -> String {
    format!("{} {:02}:{:02} UTC", mx::utc_date(t), (t % 86_400) / 3600, (t % 3600) / 60)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn offsets_and_dates_parse() {
        assert_eq!(parse("2026-11-23T00:00:00Z").unwrap(), 1_795_392_000);
        assert_eq!(parse("2026-11-23T09:00+09:00").unwrap(), 1_795_392_000);
        assert!(parse("2026-13-01").is_err());
        assert!(parse("tomorrow").is_err());
        assert!(parse("1969-12-31T00:00Z").is_err());
    }
}
