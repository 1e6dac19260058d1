//! Placing log lines in time, for `--since` / `--until`.
//!
//! A line's timestamp becomes an instant (seconds since the Unix epoch, UTC):
//!
//! - RFC 3339 stamps (`2026-03-01T00:00:05.123+01:00`) and Exim's with an offset
//!   (`2026-03-01 00:00:05 +0100`) carry their zone and are read as written.
//! - Stamps without a zone (Exim's `2026-03-01 00:00:05`, an RFC 3339-like stamp without offset,
//!   and every BSD stamp) are civil times in the [`Clock`]'s zone (`--tz`; by default the local
//!   zone, which honours `TZ`). A civil time in a daylight-saving gap or fold takes the offset
//!   before the transition (RFC 9557's "compatible" choice).
//! - BSD stamps (`Mar  1 00:00:05`) have no year either. Each input is anchored to a reference
//!   time: the file's modification time (the current time for standard input). The year of an
//!   input's first BSD stamp is the reference time's year (in the clock's zone), or the year
//!   before when the stamp would then lie more than a day after the reference time (a file
//!   last written in January whose first line is from December). Each later line takes the
//!   year that puts it nearest, in months, to the latest line before it (the later year on a
//!   tie): December then January steps into the next year, and a late line from the month
//!   before keeps its year and moves nothing. `--year` ([`Clock::year`]) replaces the
//!   inferred year of the first stamp; rollovers still apply.
//!
//! Each distinct minute is converted once (the zone's rules are looked up then) and the
//! seconds added; a line in the same minute as the line before it is placed by comparing its
//! stamp's bytes with that line's.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;

use crate::syslog::TimestampStyle;

/// Seconds a BSD stamp may lie after its input's reference time before the year before is
/// taken (clock skew and a wrong `--tz` stay within a day).
const FUTURE_SLACK: i64 = 86_400;

/// A time bound or zone that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// The text is none of the accepted forms.
    #[error("{0:?} is not a time (use 2026-03-01, \"2026-03-01 10:00[:00]\", RFC 3339 or -2h/1d)")]
    BadTime(String),
    /// The zone is neither an IANA name nor an offset.
    #[error("unknown time zone {0:?} (use an IANA name such as Europe/Paris, or +02:00)")]
    BadZone(String),
}

/// How zone-less and year-less stamps are read.
#[derive(Debug, Clone)]
pub struct Clock {
    /// The zone of stamps that carry none.
    pub tz: TimeZone,
    /// The year of each input's first BSD stamp, instead of the inferred one.
    pub year: Option<i16>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            tz: TimeZone::system(),
            year: None,
        }
    }
}

/// Reads a zone: `UTC`, an offset (`+02:00`, `-0530`, `+02`) or an IANA name (`Europe/Paris`).
pub fn parse_zone(s: &str) -> Result<TimeZone, TimeError> {
    let bad = || TimeError::BadZone(s.to_string());
    let t = s.trim();
    if t.eq_ignore_ascii_case("utc") || t == "Z" {
        return Ok(TimeZone::UTC);
    }
    if let Some(sign) = t.strip_prefix(['+', '-']).map(|_| t.as_bytes()[0]) {
        let secs = offset_seconds(&t.as_bytes()[1..])
            .filter(|s| *s <= 18 * 3600)
            .ok_or_else(bad)?;
        let secs = if sign == b'-' { -secs } else { secs };
        return Offset::from_seconds(secs)
            .map(TimeZone::fixed)
            .map_err(|_| bad());
    }
    TimeZone::get(t).map_err(|_| bad())
}

/// Reads a time bound as an instant (seconds since the epoch): RFC 3339 with its offset,
/// `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]` (or with `T`) in `tz`, `now`, or a time relative to
/// `now`: `-2h`, `2h` (both two hours ago), `+30m` (ahead), units `s m h d w`.
pub fn parse_time(s: &str, tz: &TimeZone, now: Timestamp) -> Result<i64, TimeError> {
    let bad = || TimeError::BadTime(s.to_string());
    let t = s.trim();
    if t == "now" {
        return Ok(now.as_second());
    }
    if let Some(delta) = relative(t) {
        return Ok(now.as_second().saturating_add(delta));
    }
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(ts.as_second());
    }
    let civil = t
        .parse::<DateTime>()
        .ok()
        .or_else(|| {
            t.parse::<Date>()
                .ok()
                .map(|d| d.to_datetime(Time::midnight()))
        })
        .ok_or_else(bad)?;
    tz.to_timestamp(civil)
        .map(Timestamp::as_second)
        .map_err(|_| bad())
}

/// `-2h` / `2h` (seconds back, negative) and `+2h` (ahead).
fn relative(t: &str) -> Option<i64> {
    let (ahead, body) = match t.as_bytes().first()? {
        b'+' => (true, &t[1..]),
        b'-' => (false, &t[1..]),
        _ => (false, t),
    };
    let unit = match body.as_bytes().last()? {
        b's' => 1,
        b'm' => 60,
        b'h' => 3600,
        b'd' => 86_400,
        b'w' => 7 * 86_400,
        _ => return None,
    };
    let n: i64 = body[..body.len() - 1].parse().ok()?;
    let secs = n.checked_mul(unit)?;
    Some(if ahead { secs } else { -secs })
}

/// Where a line's timestamp falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Inside the window.
    Inside,
    /// Before `since` or at or after `until`.
    Outside,
    /// The stamp names no real time (`Feb 30`, hour 25).
    Undated,
}

/// The time window of `--since` (inclusive) and `--until` (exclusive), to the second, and the
/// state that places each line of an input in time.
#[derive(Debug, Clone)]
pub struct Window {
    since: i64,
    until: i64,
    clock: Clock,
    /// The reference time of the current input (see the module documentation).
    reference: i64,
    /// The year of the current input's BSD stamps, once its first one is seen.
    year: Option<i16>,
    last_month: u8,
    /// The last minute converted: its key and its instant.
    minute: Option<(u64, i64)>,
    /// The last line's stamp up to its minute and its zone part, and that minute's instant:
    /// the next line in the same minute is placed by comparing bytes.
    recent_head: Vec<u8>,
    recent_tail: Vec<u8>,
    recent: Option<i64>,
}

impl Window {
    /// A window from `since` to `until` (seconds since the epoch; `None` is unbounded).
    pub fn new(since: Option<i64>, until: Option<i64>, clock: Clock) -> Self {
        Window {
            since: since.unwrap_or(i64::MIN),
            until: until.unwrap_or(i64::MAX),
            clock,
            reference: Timestamp::now().as_second(),
            year: None,
            last_month: 0,
            minute: None,
            recent_head: Vec::with_capacity(32),
            recent_tail: Vec::with_capacity(8),
            recent: None,
        }
    }

    /// Starts a new input whose lines were written up to `reference` (its modification time;
    /// the current time when `None`): the year of BSD stamps is inferred afresh.
    pub fn start_input(&mut self, reference: Option<Timestamp>) {
        self.reference = reference.unwrap_or_else(Timestamp::now).as_second();
        self.year = None;
        self.last_month = 0;
        self.minute = None;
        self.recent = None;
    }

    /// Where the line stamped `ts` (in `style`) falls.
    pub fn place(&mut self, ts: &str, style: TimestampStyle) -> Placement {
        match self.instant(ts, style) {
            None => Placement::Undated,
            Some(t) if t >= self.since && t < self.until => Placement::Inside,
            Some(_) => Placement::Outside,
        }
    }

    /// The stamp as seconds since the epoch.
    pub fn instant(&mut self, ts: &str, style: TimestampStyle) -> Option<i64> {
        let b = ts.as_bytes();
        // The stamp up to its minute, its seconds, and what follows them (fraction, zone).
        let (head, sec, tail) = match style {
            TimestampStyle::Bsd => {
                let n = b.len().checked_sub(3)?;
                (&b[..n], b.get(n + 1..)?, &b[..0])
            }
            _ => (b.get(..16)?, b.get(17..19)?, b.get(19..)?),
        };
        let sec = two(sec).filter(|s| *s <= 60)?;
        if b.get(head.len()) != Some(&b':') {
            return None;
        }
        let tail = match tail.strip_prefix(b".") {
            Some(frac) => &frac[frac.iter().take_while(|c| c.is_ascii_digit()).count()..],
            None => tail,
        };
        if let Some(minute) = self.recent {
            if head == self.recent_head.as_slice() && tail == self.recent_tail.as_slice() {
                return Some(minute + i64::from(sec.min(59)));
            }
        }
        let t = match style {
            TimestampStyle::Bsd => self.bsd(b),
            _ => self.numeric(b),
        };
        self.recent = t.map(|t| t - i64::from(sec.min(59)));
        self.recent_head.clear();
        self.recent_head.extend_from_slice(head);
        self.recent_tail.clear();
        self.recent_tail.extend_from_slice(tail);
        t
    }

    /// `Mmm dd hh:mm:ss` (or `Mmm d hh:mm:ss`).
    fn bsd(&mut self, b: &[u8]) -> Option<i64> {
        let month = match b.get(..3)? {
            b"Jan" => 1,
            b"Feb" => 2,
            b"Mar" => 3,
            b"Apr" => 4,
            b"May" => 5,
            b"Jun" => 6,
            b"Jul" => 7,
            b"Aug" => 8,
            b"Sep" => 9,
            b"Oct" => 10,
            b"Nov" => 11,
            b"Dec" => 12,
            _ => return None,
        };
        let time = b.len().checked_sub(8).and_then(|i| b.get(i..))?;
        let day = two(b.get(4..b.len().checked_sub(9)?)?.trim_ascii_start())?;
        let (h, m, s) = (two(&time[..2])?, two(&time[3..5])?, two(&time[6..8])?);
        let year = match self.year {
            Some(y) if month == self.last_month => y,
            Some(y) => {
                // The year that puts the line nearest (in months) to the latest line before
                // it, the later one on a tie; a line earlier than that one is late and moves
                // nothing.
                let last = i32::from(y) * 12 + i32::from(self.last_month) - 1;
                let idx = (i32::from(y) - 1..=i32::from(y) + 1)
                    .map(|c| c * 12 + i32::from(month) - 1)
                    .min_by_key(|&idx| ((idx - last).abs(), -idx))?;
                let year = i16::try_from(idx.div_euclid(12)).ok()?;
                if idx > last {
                    self.year = Some(year);
                    self.last_month = month;
                }
                year
            }
            None => {
                let y = match self.clock.year {
                    Some(y) => y,
                    None => self.first_year(month, day, h, m)?,
                };
                self.year = Some(y);
                self.last_month = month;
                y
            }
        };
        self.at(year, month, day, h, m, s, None)
    }

    /// The year of an input's first BSD stamp: the reference time's, or the year before when
    /// the stamp would lie after the reference time (beyond the slack).
    fn first_year(&self, month: u8, day: u8, h: u8, m: u8) -> Option<i16> {
        let reference = Timestamp::from_second(self.reference).ok()?;
        let y = reference.to_zoned(self.clock.tz.clone()).year();
        let then = self.convert(y, month, day, h, m, None);
        Some(match then {
            Some(t) if t > self.reference + FUTURE_SLACK => y - 1,
            // Feb 29 of a year that has none: the year before may (a leap year four back
            // would be too far; the stamp is then undated).
            None => y - 1,
            Some(_) => y,
        })
    }

    /// `YYYY-MM-DD[T ]hh:mm:ss[.frac][Z|±hh:mm|±hhmm| ±hhmm]`.
    fn numeric(&mut self, b: &[u8]) -> Option<i64> {
        if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        let year = i16::try_from(two(&b[0..2])? as u16 * 100 + two(&b[2..4])? as u16).ok()?;
        let (month, day) = (two(&b[5..7])?, two(&b[8..10])?);
        let (h, m, s) = (two(&b[11..13])?, two(&b[14..16])?, two(&b[17..19])?);
        let mut rest = &b[19..];
        if let Some(frac) = rest.strip_prefix(b".") {
            let digits = frac.iter().take_while(|c| c.is_ascii_digit()).count();
            rest = &frac[digits..];
        }
        let rest = rest.strip_prefix(b" ").unwrap_or(rest);
        let offset = match rest {
            [] => None,
            [b'Z' | b'z'] => Some(0),
            [sign @ (b'+' | b'-'), hhmm @ ..] if hhmm.len() >= 4 => {
                let secs = offset_seconds(hhmm).filter(|s| *s <= 18 * 3600)?;
                Some(if *sign == b'-' { -secs } else { secs })
            }
            _ => return None,
        };
        self.at(year, month, day, h, m, s, offset)
    }

    /// The instant of a civil time, by the minute cache.
    #[allow(clippy::too_many_arguments)]
    fn at(
        &mut self,
        year: i16,
        month: u8,
        day: u8,
        h: u8,
        m: u8,
        s: u8,
        offset: Option<i32>,
    ) -> Option<i64> {
        if s > 60 {
            return None;
        }
        // Offsets are whole minutes in practice; the key keeps any in 18 bits.
        let off = offset.map_or(0x3ffff, |o| (o + 0x1ffff) as u64 & 0x3ffff);
        let key = (year as u16 as u64) << 48
            | u64::from(month) << 40
            | u64::from(day) << 32
            | u64::from(h) << 24
            | u64::from(m) << 18
            | off;
        let minute = match self.minute {
            Some((k, t)) if k == key => t,
            _ => {
                let t = self.convert(year, month, day, h, m, offset)?;
                self.minute = Some((key, t));
                t
            }
        };
        // A leap second (:60) counts as the minute's last.
        Some(minute + i64::from(s.min(59)))
    }

    fn convert(
        &self,
        year: i16,
        month: u8,
        day: u8,
        h: u8,
        m: u8,
        offset: Option<i32>,
    ) -> Option<i64> {
        let date = Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()?;
        let time = Time::new(i8::try_from(h).ok()?, i8::try_from(m).ok()?, 0, 0).ok()?;
        let dt = DateTime::from_parts(date, time);
        let ts = match offset {
            Some(o) => Offset::from_seconds(o).ok()?.to_timestamp(dt).ok()?,
            None => self.clock.tz.to_timestamp(dt).ok()?,
        };
        Some(ts.as_second())
    }
}

/// `HH:MM`, `HHMM` or `HH` (an offset after its sign) as seconds.
fn offset_seconds(b: &[u8]) -> Option<i32> {
    let (h, m) = match b {
        [h1, h2] => ([*h1, *h2], [b'0', b'0']),
        [h1, h2, m1, m2] | [h1, h2, b':', m1, m2] => ([*h1, *h2], [*m1, *m2]),
        _ => return None,
    };
    let (h, m) = (two(&h)?, two(&m)?);
    (m < 60).then(|| i32::from(h) * 3600 + i32::from(m) * 60)
}

/// Two ASCII digits (or one, for a BSD day) as a number.
fn two(b: &[u8]) -> Option<u8> {
    match b {
        [d] if d.is_ascii_digit() => Some(d - b'0'),
        [a, d] if a.is_ascii_digit() && d.is_ascii_digit() => Some((a - b'0') * 10 + (d - b'0')),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn utc(year: Option<i16>) -> Clock {
        Clock {
            tz: TimeZone::UTC,
            year,
        }
    }

    #[test]
    fn bounds_in_every_form() {
        let now = ts("2026-03-10T12:00:00Z");
        let paris = parse_zone("Europe/Paris").unwrap_or_else(|e| panic!("{e}"));
        let at = |s: &str, tz: &TimeZone| parse_time(s, tz, now).ok();
        let utc = TimeZone::UTC;
        let sec = |s: &str| ts(s).as_second();
        assert_eq!(at("2026-03-01", &utc), Some(sec("2026-03-01T00:00:00Z")));
        assert_eq!(at("2026-03-01", &paris), Some(sec("2026-02-28T23:00:00Z")));
        assert_eq!(
            at("2026-03-01 10:30", &utc),
            Some(sec("2026-03-01T10:30:00Z"))
        );
        assert_eq!(
            at("2026-03-01T10:30:05", &utc),
            Some(sec("2026-03-01T10:30:05Z"))
        );
        assert_eq!(
            at("2026-03-01T10:30:05+02:00", &paris),
            Some(sec("2026-03-01T08:30:05Z"))
        );
        assert_eq!(at("-2h", &utc), Some(sec("2026-03-10T10:00:00Z")));
        assert_eq!(at("2h", &utc), Some(sec("2026-03-10T10:00:00Z")));
        assert_eq!(at("1d", &utc), Some(sec("2026-03-09T12:00:00Z")));
        assert_eq!(at("+30m", &utc), Some(sec("2026-03-10T12:30:00Z")));
        assert_eq!(at("now", &utc), Some(now.as_second()));
        for bad in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-02-30",
            "-h",
            "5x",
            "99999999999999999w",
        ] {
            assert!(at(bad, &utc).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn zones_by_name_and_offset() {
        let noon = DateTime::from_parts(
            Date::new(2026, 7, 1).unwrap_or_default(),
            Time::new(12, 0, 0, 0).unwrap_or_default(),
        );
        let off = |z: &str| {
            parse_zone(z).ok().map(|tz| {
                tz.to_offset(tz.to_timestamp(noon).unwrap_or_default())
                    .seconds()
            })
        };
        assert_eq!(off("UTC"), Some(0));
        assert_eq!(off("+05:30"), Some(19_800));
        assert_eq!(off("-0800"), Some(-28_800));
        assert_eq!(off("+02"), Some(7200));
        assert_eq!(off("America/New_York"), Some(-4 * 3600));
        for bad in ["Mars/Olympus", "+25:00", "+1:2", "+ab:cd"] {
            assert!(parse_zone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rfc3339_and_exim_stamps_carry_their_zone() {
        let mut w = Window::new(None, None, utc(None));
        let sec = |s: &str| ts(s).as_second();
        for (stamp, want) in [
            ("2026-03-01T00:00:05.123456+00:00", "2026-03-01T00:00:05Z"),
            ("2026-03-01T02:00:05+02:00", "2026-03-01T00:00:05Z"),
            ("2026-02-28T19:00:05-05:00", "2026-03-01T00:00:05Z"),
            ("2026-03-01T00:00:05Z", "2026-03-01T00:00:05Z"),
            ("2026-03-01 01:00:05 +0100", "2026-03-01T00:00:05Z"),
            ("2026-03-01 00:00:05.123", "2026-03-01T00:00:05Z"),
            ("2026-03-01 00:00:06", "2026-03-01T00:00:06Z"),
        ] {
            assert_eq!(
                w.instant(stamp, TimestampStyle::Rfc3339),
                Some(sec(want)),
                "{stamp}"
            );
        }
        for bad in [
            "2026-03-01T00:00-05",
            "2026-03-01T00:00:00+60:00",
            "2026-02-30T00:00:00Z",
            "2026-03-01T25:00:00Z",
            "2026-03-01T00:00:00+1",
        ] {
            assert_eq!(w.instant(bad, TimestampStyle::Rfc3339), None, "{bad}");
        }
    }

    #[test]
    fn bsd_year_comes_from_the_reference_and_rolls_over() {
        let sec = |s: &str| Some(ts(s).as_second());
        let mut w = Window::new(None, None, utc(None));
        // Written up to 2 January 2026: the December lines are from 2025.
        w.start_input(Some(ts("2026-01-02T00:00:00Z")));
        let mut at = |s: &str| w.instant(s, TimestampStyle::Bsd);
        assert_eq!(at("Dec 31 23:59:58"), sec("2025-12-31T23:59:58Z"));
        assert_eq!(at("Dec 31 23:59:59"), sec("2025-12-31T23:59:59Z"));
        assert_eq!(at("Jan  1 00:00:01"), sec("2026-01-01T00:00:01Z"));
        // A late line from the month before keeps its year, and moves nothing.
        assert_eq!(at("Dec 31 23:59:59"), sec("2025-12-31T23:59:59Z"));
        assert_eq!(at("Jan 1 00:00:03"), sec("2026-01-01T00:00:03Z"));
        assert_eq!(at("Feb  1 00:00:00"), sec("2026-02-01T00:00:00Z"));
        assert_eq!(at("Jan 31 23:59:59"), sec("2026-01-31T23:59:59Z"));
        // Months forward, then December to January again.
        for (m, n) in [("Mar", "03"), ("Jun", "06"), ("Sep", "09"), ("Dec", "12")] {
            assert_eq!(
                at(&format!("{m}  1 00:00:00")),
                sec(&format!("2026-{n}-01T00:00:00Z"))
            );
        }
        assert_eq!(at("Jan  2 00:00:00"), sec("2027-01-02T00:00:00Z"));
        // A stamp within a day after the reference stays in its year.
        w.start_input(Some(ts("2026-03-01T00:00:00Z")));
        assert_eq!(
            w.instant("Mar  1 10:00:00", TimestampStyle::Bsd),
            sec("2026-03-01T10:00:00Z")
        );
        // --year replaces the inferred year.
        let mut y = Window::new(None, None, utc(Some(2020)));
        y.start_input(Some(ts("2026-03-01T00:00:00Z")));
        assert_eq!(
            y.instant("Mar  1 10:00:00", TimestampStyle::Bsd),
            sec("2020-03-01T10:00:00Z")
        );
        assert_eq!(y.instant("Feb 30 10:00:00", TimestampStyle::Bsd), None);
        assert_eq!(y.instant("Mar  1 24:00:00", TimestampStyle::Bsd), None);
        for short in [
            "",
            "Mar",
            "Mar 1",
            "Mar 00:00:00",
            "Mar  1 00:00",
            "Mar  1 10:00-00",
        ] {
            assert_eq!(y.instant(short, TimestampStyle::Bsd), None, "{short:?}");
        }
    }

    #[test]
    fn the_window_and_the_zone() {
        let sec = |s: &str| Some(ts(s).as_second());
        let clock = Clock {
            tz: parse_zone("+02:00").unwrap_or(TimeZone::UTC),
            year: Some(2026),
        };
        // 10:00 to 11:00 UTC is 12:00 to 13:00 on the stamps.
        let mut w = Window::new(
            sec("2026-03-01T10:00:00Z"),
            sec("2026-03-01T11:00:00Z"),
            clock,
        );
        let mut place = |s: &str| w.place(s, TimestampStyle::Bsd);
        assert_eq!(place("Mar  1 11:59:59"), Placement::Outside);
        assert_eq!(place("Mar  1 12:00:00"), Placement::Inside);
        assert_eq!(place("Mar  1 12:59:59"), Placement::Inside);
        assert_eq!(place("Mar  1 13:00:00"), Placement::Outside);
        assert_eq!(place("Mar 32 13:00:00"), Placement::Undated);
    }
}
