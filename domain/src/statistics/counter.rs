//! The counter counts' CSV (docs/STATISTICS.md): what a unit's supervisor imports, the
//! filings taken at the counter per procedure and month.
//!
//! ```text
//! procedure,month,count
//! bicycle_theft,2026-03,41
//! ```
//!
//! UTF-8, comma-separated, a header line naming the three columns (in any order), then
//! one line per procedure and month, each at most once. `count` is a whole number from 0
//! to 1,000,000. Every bad line is reported with its line number (the header is line 1).

use std::collections::BTreeSet;

/// The most lines a file may hold (besides the header).
pub const MAX_LINES: usize = 10_000;
/// The largest count of a line.
pub const MAX_COUNT: u64 = 1_000_000;

/// One line of counter counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterLine {
    pub procedure: String,
    /// `YYYY-MM`.
    pub month: String,
    pub count: u64,
}

/// A rule a line broke: its line number (1 = the header), the column, and a stable code
/// (`required`, `unknown_field`, `invalid_type`, `unknown_procedure`, `invalid_date`,
/// `invalid_integer`, `out_of_range`, `duplicate_key`, `too_many`, `empty`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: u64,
    pub column: &'static str,
    pub code: &'static str,
}

const COLUMNS: [&str; 3] = ["procedure", "month", "count"];

fn valid_month(raw: &str) -> bool {
    crate::dates::month(raw).is_some()
}

/// Parses a file; `known` tells whether a procedure code exists. All errors are given
/// (at most 100), in line order.
pub fn parse(
    text: &[u8],
    known: impl Fn(&str) -> bool,
) -> Result<Vec<CounterLine>, Vec<LineError>> {
    let err =
        |line: u64, column: &'static str, code: &'static str| LineError { line, column, code };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text);
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(_)) => return Err(vec![err(1, "procedure", "invalid_type")]),
        None => return Err(vec![err(1, "procedure", "empty")]),
    };
    let mut index = [usize::MAX; 3];
    let mut errors = Vec::new();
    for (i, name) in header.iter().enumerate() {
        match COLUMNS.iter().position(|c| *c == name) {
            Some(c) => index[c] = i,
            None => errors.push(err(1, "procedure", "unknown_field")),
        }
    }
    for (c, i) in index.iter().enumerate() {
        if *i == usize::MAX {
            errors.push(err(1, COLUMNS[c], "required"));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut lines = Vec::new();
    let mut seen = BTreeSet::new();
    for (n, record) in records.enumerate() {
        let line = n as u64 + 2;
        if errors.len() >= 100 {
            break;
        }
        if n >= MAX_LINES {
            errors.push(err(line, "procedure", "too_many"));
            break;
        }
        let Ok(record) = record else {
            errors.push(err(line, "procedure", "invalid_type"));
            continue;
        };
        if record.len() != header.len() {
            errors.push(err(line, "procedure", "invalid_type"));
            continue;
        }
        let field = |c: usize| record.get(index[c]).unwrap_or("");
        let (procedure, month, count) = (field(0), field(1), field(2));
        let before = errors.len();
        if !known(procedure) {
            errors.push(err(line, "procedure", "unknown_procedure"));
        }
        if !valid_month(month) {
            errors.push(err(line, "month", "invalid_date"));
        }
        let parsed = if count.bytes().all(|b| b.is_ascii_digit()) && !count.is_empty() {
            count.parse::<u64>().ok()
        } else {
            None
        };
        match parsed {
            None if count.len() > 7 && count.bytes().all(|b| b.is_ascii_digit()) => {
                errors.push(err(line, "count", "out_of_range"))
            }
            None => errors.push(err(line, "count", "invalid_integer")),
            Some(c) if c > MAX_COUNT => errors.push(err(line, "count", "out_of_range")),
            Some(_) => {}
        }
        if errors.len() > before {
            continue;
        }
        if !seen.insert((procedure.to_owned(), month.to_owned())) {
            errors.push(err(line, "procedure", "duplicate_key"));
            continue;
        }
        lines.push(CounterLine {
            procedure: procedure.to_owned(),
            month: month.to_owned(),
            count: parsed.unwrap_or(0),
        });
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(p: &str) -> bool {
        p == "bicycle_theft"
    }

    #[test]
    fn a_good_file_parses_in_any_column_order() {
        let lines = parse(
            b"month,procedure,count\n2026-03,bicycle_theft,41\n2026-04, bicycle_theft ,0\n",
            known,
        )
        .unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].count, 41);
        assert_eq!(lines[1].month, "2026-04");
    }

    #[test]
    fn every_bad_line_is_named() {
        let errors = parse(
            b"procedure,month,count\nbicycle_theft,2026-03,41\nbicycle_theft,2026-13,4\nfraud,2026-03,x\nbicycle_theft,2026-03,2\nbicycle_theft,2026-05\n",
            known,
        )
        .unwrap_err();
        let found: Vec<(u64, &str, &str)> =
            errors.iter().map(|e| (e.line, e.column, e.code)).collect();
        assert_eq!(
            found,
            [
                (3, "month", "invalid_date"),
                (4, "procedure", "unknown_procedure"),
                (4, "count", "invalid_integer"),
                (5, "procedure", "duplicate_key"),
                (6, "procedure", "invalid_type"),
            ]
        );
    }

    #[test]
    fn the_header_must_name_the_columns() {
        let errors = parse(b"procedure,count\n", known).unwrap_err();
        assert_eq!(
            errors,
            [LineError {
                line: 1,
                column: "month",
                code: "required"
            }]
        );
        assert_eq!(parse(b"", known).unwrap_err()[0].code, "empty");
        assert_eq!(
            parse(
                b"procedure,month,count\nbicycle_theft,2026-01,2000000\n",
                known
            )
            .unwrap_err()[0]
                .code,
            "out_of_range"
        );
    }
}
