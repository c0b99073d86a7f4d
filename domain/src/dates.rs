//! Calendar dates and months as clients write them: RFC 3339's `full-date`
//! (`YYYY-MM-DD`) and its month (`YYYY-MM`), with exactly four ASCII digits of year.
//! chrono's `%Y` alone also reads signed and longer years (`-001-01-01`, reported from
//! outside on `GET /v1/statistics?from=-001-01`, which answered for the year 1 BC), which
//! no client means: every date or month a client sends is read here.

use chrono::NaiveDate;

/// Whether `s` is digits where `shape` has `9` and the same byte elsewhere.
fn shaped(s: &str, shape: &str) -> bool {
    s.len() == shape.len()
        && s.bytes().zip(shape.bytes()).all(|(c, p)| {
            if p == b'9' {
                c.is_ascii_digit()
            } else {
                c == p
            }
        })
}

fn number(s: &str) -> Option<u32> {
    s.parse().ok()
}

/// A `YYYY-MM-DD` date (RFC 3339 `full-date`); `None` for any other shape or a day the
/// calendar does not have (`2026-02-30`).
pub fn full_date(s: &str) -> Option<NaiveDate> {
    if !shaped(s, "9999-99-99") {
        return None;
    }
    let year = i32::try_from(number(s.get(0..4)?)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(s.get(5..7)?)?, number(s.get(8..10)?)?)
}

/// A `YYYY-MM` month, as its first day; `None` for any other shape or a month from
/// `00` or above `12`.
pub fn month(s: &str) -> Option<NaiveDate> {
    if !shaped(s, "9999-99") {
        return None;
    }
    let year = i32::try_from(number(s.get(0..4)?)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(s.get(5..7)?)?, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_four_digit_years_are_read() {
        assert_eq!(
            full_date("2026-02-28"),
            NaiveDate::from_ymd_opt(2026, 2, 28)
        );
        assert_eq!(month("2026-12"), NaiveDate::from_ymd_opt(2026, 12, 1));
        for bad in [
            "-001-01-01",
            "+001-01-01",
            "12345-01-01",
            "2026-1-01",
            "2026-02-30",
            "2026-13-01",
            "2026/01/01",
            "2026-01-01 ",
            "２０２６-01-01",
            "",
        ] {
            assert_eq!(full_date(bad), None, "{bad}");
        }
        for bad in [
            "-001-01", "+001-01", "99999-01", "2026-1", "2026-13", "2026-00", "2026-01-",
        ] {
            assert_eq!(month(bad), None, "{bad}");
        }
        // chrono alone reads the signed year: the reason for this module. Its RFC 3339
        // instants (the `date-time` fields, read by chrono directly) do not.
        assert!(NaiveDate::parse_from_str("-001-01-01", "%Y-%m-%d").is_ok());
        for instant in [
            "-001-01-01T00:00:00Z",
            "12345-01-01T00:00:00Z",
            "+2026-01-01T00:00:00Z",
        ] {
            assert!(
                chrono::DateTime::parse_from_rfc3339(instant).is_err(),
                "{instant}"
            );
        }
    }
}
