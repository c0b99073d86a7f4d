//! Open statistics (issue 22; docs/STATISTICS.md): counts of filings by procedure,
//! country, unit, municipality, region, ISO week and month of submission, the processing
//! times (median and 90th percentile, in whole hours) and the online share, published
//! with small-cell suppression so that no one can be singled out.
//!
//! The rule, per measure (each column is protected on its own):
//! 1. **Primary suppression**: a count from 1 to `k - 1` is published as `<k`.
//! 2. **Complementary suppression**: the table also publishes each measure's total. When
//!    a column has exactly one suppressed cell, the total minus the published cells
//!    would give it away: the smallest published non-zero cell is suppressed too (or,
//!    when there is none, the total is).
//! 3. A total from 1 to `k - 1` is suppressed as well.
//!
//! Zero is published: it singles no one out.

use serde::Serialize;
use std::collections::BTreeMap;

/// The default threshold: counts below it are suppressed.
pub const DEFAULT_THRESHOLD: u32 = 10;

crate::code_enum!(
    /// A dimension of the table.
    Dimension, "statistics dimension", {
        Procedure => "procedure",
        Country => "country",
        Unit => "unit",
        Municipality => "municipality",
        Region => "region",
        Week => "week",
        Month => "month",
    }
);

impl Dimension {
    /// The grouping without `group_by`: procedure, country, unit and month.
    pub const DEFAULT: &'static [Dimension] = &[
        Dimension::Procedure,
        Dimension::Country,
        Dimension::Unit,
        Dimension::Month,
    ];

    /// Whether the counter counts (kept per unit, procedure and month) can be grouped
    /// by this dimension: not by week, municipality or region.
    pub fn has_counter_counts(self) -> bool {
        matches!(
            self,
            Dimension::Procedure | Dimension::Country | Dimension::Unit | Dimension::Month
        )
    }
}

crate::code_enum!(
    /// A measure: filings submitted in the month, and of those, how many were (at some
    /// point) registered, rejected or redirected.
    Measure, "statistics measure", {
        Submitted => "submitted",
        Registered => "registered",
        Rejected => "rejected",
        Redirected => "redirected",
    }
);

/// Where counted rows belong: the values of the dimensions (empty when the store did not
/// group by one; the region is derived from the municipality).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub procedure: String,
    pub country: String,
    /// The unit's id; empty for a filing without one.
    pub unit: String,
    /// The municipality's id (a district's city: `part_of`); empty when unknown.
    pub municipality: String,
    /// ISO week `YYYY-Www` of the submission (UTC).
    pub week: String,
    /// `YYYY-MM` (UTC).
    pub month: String,
}

/// What is published for a filing without a municipality (or a region).
pub const UNKNOWN_PLACE: &str = "unknown";

impl Key {
    fn values(&self, dims: &[Dimension]) -> Vec<String> {
        dims.iter()
            .map(|d| match d {
                Dimension::Procedure => self.procedure.clone(),
                Dimension::Country => self.country.clone(),
                Dimension::Unit => self.unit.clone(),
                Dimension::Municipality if self.municipality.is_empty() => UNKNOWN_PLACE.into(),
                Dimension::Municipality => self.municipality.clone(),
                Dimension::Region => region_of(&self.municipality),
                Dimension::Week => self.week.clone(),
                Dimension::Month => self.month.clone(),
            })
            .collect()
    }
}

/// One row of counts and time histograms, as the store counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseRow {
    pub key: Key,
    /// By [`Measure::ALL`] order.
    pub counts: [u64; 4],
    /// The times to the taking in charge, then to the end, bucketed ([`bucket`]).
    pub times: [Histogram; 2],
}

/// A published count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    Count(u64),
    /// Below the threshold (or its complement): published as `<k`.
    Suppressed,
}

/// One published row: the values of the dimensions, then a cell per measure, the
/// processing times and the online share.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub key: Vec<String>,
    pub cells: [Cell; 4],
    /// By [`TIME_COLUMNS`] order.
    pub times: [Time; 4],
    /// `None` when the table has no online share (see [`Table::has_share`]).
    pub share: Option<Share>,
}

/// The published table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub dimensions: Vec<Dimension>,
    pub threshold: u32,
    pub rows: Vec<Row>,
    pub totals: [Cell; 4],
    pub total_times: [Time; 4],
    pub total_share: Option<Share>,
}

impl Table {
    /// Whether the table publishes the online share: when it is grouped only by
    /// dimensions the counter counts have (procedure, country, unit, month).
    pub fn has_share(&self) -> bool {
        self.dimensions.iter().all(|d| d.has_counter_counts())
    }
}

/// What the store gives to tabulate: counts with their times and (when the grouping
/// allows it) counter counts.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub counts: Vec<BaseRow>,
    pub counter: Vec<CounterRow>,
}

/// One group of a grouping, before suppression: the values of its dimensions (in the
/// grouping's order, as published: `unknown` for a missing place), its counts summed
/// (by [`Measure::ALL`] order) and its two time histograms' [`Percentiles`] (to the
/// taking in charge, then to the end), from its cells' histograms merged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Group {
    pub key: Vec<String>,
    pub counts: [u64; 4],
    pub times: [Percentiles; 2],
}

/// A grouping before suppression: its groups, sorted by key, each key once, and the
/// [`Percentiles`] of all its filings' times (the totals' times).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grouped {
    pub groups: Vec<Group>,
    pub all_times: [Percentiles; 2],
}

/// The rows grouped by `dims` (in their order): one [`Group`] per distinct key, sorted
/// by key. [`cube::Cube::groups`] gives the same from the summary in memory.
pub fn group(rows: &[BaseRow], dims: &[Dimension]) -> Grouped {
    let mut groups: BTreeMap<Vec<String>, ([u64; 4], [Histogram; 2])> = BTreeMap::new();
    let mut all: [Histogram; 2] = Default::default();
    for row in rows {
        let (counts, times) = groups.entry(row.key.values(dims)).or_default();
        for (sum, count) in counts.iter_mut().zip(row.counts) {
            *sum += count;
        }
        for ((merged, total), histogram) in times.iter_mut().zip(&mut all).zip(&row.times) {
            for (&b, &n) in histogram.iter().filter(|(_, n)| **n > 0) {
                *merged.entry(b).or_default() += n;
                *total.entry(b).or_default() += n;
            }
        }
    }
    let percentiles =
        |h: &Histogram| Percentiles::of(&h.iter().map(|(&b, &n)| (b, n)).collect::<Vec<_>>());
    Grouped {
        groups: groups
            .into_iter()
            .map(|(key, (counts, times))| Group {
                key,
                counts,
                times: [percentiles(&times[0]), percentiles(&times[1])],
            })
            .collect(),
        all_times: [percentiles(&all[0]), percentiles(&all[1])],
    }
}

/// Aggregates `input` over `dims` (in their order), then suppresses small cells with the
/// threshold `k`: [`group`], then [`publish`].
pub fn tabulate(input: &Input, dims: &[Dimension], k: u32) -> Table {
    publish(group(&input.counts, dims), &input.counter, dims, k)
}

/// The published table of `grouped` (its groups sorted by key, each key once: as
/// [`group`] and [`cube::Cube::groups`] give them) and the counter counts `counter`, with the
/// threshold `k` (at least 1): counts suppressed by [`suppress`], times by
/// [`times_of`], shares by [`share_of`]. The counter counts are used only when every
/// dimension has them ([`Dimension::has_counter_counts`]); a key they have and the
/// groups do not gets a row of zeros.
pub fn publish(grouped: Grouped, counter: &[CounterRow], dims: &[Dimension], k: u32) -> Table {
    let Grouped {
        mut groups,
        all_times,
    } = grouped;
    let with_share = dims.iter().all(|d| d.has_counter_counts());
    let mut counter_by_key: BTreeMap<Vec<String>, (u64, u64)> = BTreeMap::new();
    let mut all_counter = (0, 0);
    if with_share {
        for c in counter {
            let entry = counter_by_key.entry(c.key.values(dims)).or_default();
            entry.0 += c.online;
            entry.1 += c.counter;
            all_counter.0 += c.online;
            all_counter.1 += c.counter;
        }
        let missing: Vec<Group> = counter_by_key
            .keys()
            .filter(|key| {
                groups
                    .binary_search_by(|g| g.key.as_slice().cmp(key.as_slice()))
                    .is_err()
            })
            .map(|key| Group {
                key: key.clone(),
                ..Group::default()
            })
            .collect();
        if !missing.is_empty() {
            groups.extend(missing);
            groups.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        }
    }
    let k = k.max(1);
    let mut columns: [Vec<u64>; 4] = Default::default();
    let mut rows: Vec<Row> = Vec::with_capacity(groups.len());
    for group in groups {
        for (column, count) in columns.iter_mut().zip(group.counts) {
            column.push(count);
        }
        let share = with_share.then(|| match counter_by_key.get(&group.key) {
            Some(&(online, at_counter)) => share_of(online, at_counter, k),
            None => Share::None,
        });
        rows.push(Row {
            times: times_of(group.times, k),
            key: group.key,
            cells: [Cell::Count(0); 4],
            share,
        });
    }
    let total_times = times_of(all_times, k);
    let mut total_share = with_share.then(|| {
        if counter.is_empty() {
            Share::None
        } else {
            share_of(all_counter.0, all_counter.1, k)
        }
    });
    if with_share {
        // The online and counter parts are additive columns like the counts: a share
        // whose part is hidden (small, or its complement) is hidden too.
        let parts: Vec<(u64, u64)> = rows
            .iter()
            .map(|r| counter_by_key.get(&r.key).copied().unwrap_or_default())
            .collect();
        let (online, online_total) =
            suppress(&parts.iter().map(|p| p.0).collect::<Vec<_>>(), u64::from(k));
        let (at_counter, counter_total) =
            suppress(&parts.iter().map(|p| p.1).collect::<Vec<_>>(), u64::from(k));
        for (i, row) in rows.iter_mut().enumerate() {
            if let Some(share) = &mut row.share {
                if *share != Share::None
                    && (online[i] == Cell::Suppressed || at_counter[i] == Cell::Suppressed)
                {
                    *share = Share::Suppressed;
                }
            }
        }
        if online_total == Cell::Suppressed || counter_total == Cell::Suppressed {
            if let Some(share) = &mut total_share {
                if *share != Share::None {
                    *share = Share::Suppressed;
                }
            }
        }
    }
    let mut totals = [Cell::Count(0); 4];
    for (m, column) in columns.iter().enumerate() {
        let (cells, total) = suppress(column, u64::from(k));
        for (row, cell) in rows.iter_mut().zip(cells) {
            row.cells[m] = cell;
        }
        totals[m] = total;
    }
    Table {
        dimensions: dims.to_vec(),
        threshold: k,
        rows,
        totals,
        total_times,
        total_share,
    }
}

fn small(count: u64, k: u64) -> bool {
    count > 0 && count < k
}

/// One column and its total, suppressed.
pub fn suppress(column: &[u64], k: u64) -> (Vec<Cell>, Cell) {
    let mut hidden: Vec<bool> = column.iter().map(|&c| small(c, k)).collect();
    let total: u64 = column.iter().sum();
    let mut total_hidden = small(total, k);
    if hidden.iter().filter(|h| **h).count() == 1 && !total_hidden {
        // The complement: the smallest published non-zero cell.
        let complement = column
            .iter()
            .enumerate()
            .filter(|(i, c)| !hidden[*i] && **c > 0)
            .min_by_key(|(i, c)| (**c, *i))
            .map(|(i, _)| i);
        match complement {
            Some(i) => hidden[i] = true,
            None => total_hidden = true,
        }
    }
    let cells = column
        .iter()
        .zip(hidden)
        .map(|(&c, h)| if h { Cell::Suppressed } else { Cell::Count(c) })
        .collect();
    let total = if total_hidden {
        Cell::Suppressed
    } else {
        Cell::Count(total)
    };
    (cells, total)
}

/// Whether a published column could give away a suppressed cell by subtraction from
/// its total: true when exactly one cell is hidden and the total is published.
pub fn leaks(cells: &[Cell], total: Cell) -> bool {
    matches!(total, Cell::Count(_)) && cells.iter().filter(|c| **c == Cell::Suppressed).count() == 1
}

/// The dimensions' values and measures in a flat, serialisable form (for CSV).
#[derive(Debug, Clone, Serialize)]
pub struct Flat {
    pub header: Vec<String>,
    pub lines: Vec<Vec<String>>,
}

impl Table {
    /// The table as text lines: a header, one line per row, then a `total` line; a
    /// suppressed cell reads `<k`. Collected from [`Table::each_line`].
    pub fn flat(&self) -> Flat {
        let mut header = Vec::new();
        let mut lines = Vec::new();
        let written: Result<(), std::convert::Infallible> = self.each_line(|line| {
            match header.is_empty() {
                true => header = line.to_vec(),
                false => lines.push(line.to_vec()),
            }
            Ok(())
        });
        if let Err(never) = written {
            match never {}
        }
        Flat { header, lines }
    }

    /// Calls `line` with the fields of each text line in turn (as [`Table::flat`] has
    /// them): the header, one line per row, then the `total` line. The fields are
    /// buffers reused from line to line, so that a table of 100,000 rows is written
    /// without an allocation per field; the first error of `line` stops the writing.
    pub fn each_line<E>(&self, mut line: impl FnMut(&[String]) -> Result<(), E>) -> Result<(), E> {
        use std::fmt::Write;
        let with_share = self.has_share();
        let mut fields: Vec<String> = self.dimensions.iter().map(|d| d.to_string()).collect();
        fields.extend(Measure::ALL.iter().map(|m| m.to_string()));
        fields.extend(TIME_COLUMNS.iter().map(|c| c.to_string()));
        if with_share {
            fields.push("online_share".into());
        }
        line(&fields)?;
        let k = self.threshold;
        // `write!` into a `String` cannot fail.
        let fill = |fields: &mut [String],
                    key: &mut dyn Iterator<Item = &str>,
                    cells: &[Cell; 4],
                    times: &[Time; 4],
                    share: &Option<Share>| {
            let mut field = fields.iter_mut();
            for value in key {
                if let Some(f) = field.next() {
                    f.clear();
                    f.push_str(value);
                }
            }
            for cell in cells {
                if let Some(f) = field.next() {
                    f.clear();
                    let _ = match cell {
                        Cell::Count(n) => write!(f, "{n}"),
                        Cell::Suppressed => write!(f, "<{k}"),
                    };
                }
            }
            for t in times {
                if let Some(f) = field.next() {
                    f.clear();
                    let _ = match t {
                        Time::Hours(h) => write!(f, "{h}"),
                        Time::Suppressed => write!(f, "<{k}"),
                        Time::None => Ok(()),
                    };
                }
            }
            if with_share {
                if let Some(f) = field.next() {
                    f.clear();
                    let _ = match share {
                        Some(Share::Value(v)) => write!(f, "{v:.3}"),
                        Some(Share::Suppressed) => write!(f, "<{k}"),
                        Some(Share::None) | None => Ok(()),
                    };
                }
            }
        };
        for row in &self.rows {
            fill(
                &mut fields,
                &mut row.key.iter().map(String::as_str),
                &row.cells,
                &row.times,
                &row.share,
            );
            line(&fields)?;
        }
        // The total line: `total` under the first dimension (none without dimensions).
        let dims = self.dimensions.len();
        let blanks = std::iter::repeat_n("", dims.saturating_sub(1));
        let mut total = std::iter::once("total").take(dims.min(1)).chain(blanks);
        fill(
            &mut fields,
            &mut total,
            &self.totals,
            &self.total_times,
            &self.total_share,
        );
        line(&fields)
    }
}

mod times;
pub use times::*;
pub mod counter;
pub mod cube;

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(cells: &[Cell]) -> Vec<Option<u64>> {
        cells
            .iter()
            .map(|c| match c {
                Cell::Count(n) => Some(*n),
                Cell::Suppressed => None,
            })
            .collect()
    }

    #[test]
    fn a_lone_small_cell_takes_the_smallest_other_with_it() {
        let (cells, total) = suppress(&[25, 3, 12, 0, 40], 10);
        assert_eq!(counts(&cells), [Some(25), None, None, Some(0), Some(40)]);
        assert_eq!(total, Cell::Count(80));
        assert!(!leaks(&cells, total));
    }

    #[test]
    fn two_small_cells_protect_each_other() {
        let (cells, total) = suppress(&[25, 3, 4, 40], 10);
        assert_eq!(counts(&cells), [Some(25), None, None, Some(40)]);
        assert_eq!(total, Cell::Count(72));
    }

    #[test]
    fn a_single_small_cell_with_nothing_else_hides_the_total() {
        let (cells, total) = suppress(&[0, 4, 0], 10);
        assert_eq!(counts(&cells), [Some(0), None, Some(0)]);
        assert_eq!(total, Cell::Suppressed);
        let (cells, total) = suppress(&[12], 10);
        assert_eq!(counts(&cells), [Some(12)]);
        assert_eq!(total, Cell::Count(12));
    }

    #[test]
    fn zeros_and_large_counts_are_published() {
        let (cells, total) = suppress(&[0, 10, 11], 10);
        assert_eq!(counts(&cells), [Some(0), Some(10), Some(11)]);
        assert_eq!(total, Cell::Count(21));
    }

    #[test]
    fn no_published_column_ever_leaks() {
        // Every column of four cells from 0 to 12, threshold 5.
        for a in 0..13u64 {
            for b in 0..13u64 {
                for c in 0..13u64 {
                    for d in [0u64, 3, 7, 30] {
                        let column = [a, b, c, d];
                        let (cells, total) = suppress(&column, 5);
                        assert!(!leaks(&cells, total), "{column:?}");
                        for (cell, value) in cells.iter().zip(column) {
                            if small(value, 5) {
                                assert_eq!(*cell, Cell::Suppressed, "{column:?}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn tabulating_sums_the_finer_rows() {
        let row = |procedure: &str, month: &str, counts: [u64; 4]| BaseRow {
            key: Key {
                procedure: procedure.into(),
                country: "BE".into(),
                unit: "u".into(),
                month: month.into(),
                ..Key::default()
            },
            counts,
            times: Default::default(),
        };
        let base = [
            row("a", "2026-01", [8, 2, 0, 0]),
            row("a", "2026-02", [7, 1, 0, 0]),
            row("b", "2026-01", [30, 20, 5, 0]),
        ];
        let input = Input {
            counts: base.to_vec(),
            ..Input::default()
        };
        let table = tabulate(&input, &[Dimension::Procedure], 10);
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.rows[0].key, ["a"]);
        assert_eq!(table.rows[0].cells[0], Cell::Count(15));
        // registered: 3 (a) and 20 (b): 3 is small, and its complement is 20.
        assert_eq!(table.rows[0].cells[1], Cell::Suppressed);
        assert_eq!(table.rows[1].cells[1], Cell::Suppressed);
        assert_eq!(table.totals[1], Cell::Count(23));
        let flat = table.flat();
        assert_eq!(
            flat.header,
            [
                "procedure",
                "submitted",
                "registered",
                "rejected",
                "redirected",
                "in_charge_median_hours",
                "in_charge_p90_hours",
                "end_median_hours",
                "end_p90_hours",
                "online_share"
            ]
        );
        assert_eq!(
            flat.lines[0],
            ["a", "15", "<10", "0", "0", "", "", "", "", ""]
        );
        assert_eq!(
            flat.lines[2],
            ["total", "45", "23", "<10", "0", "", "", "", "", ""]
        );
    }

    #[test]
    fn a_small_counter_count_hides_its_share_and_the_complement() {
        let key = |month: &str| Key {
            unit: "u".into(),
            month: month.into(),
            ..Key::default()
        };
        let input = Input {
            counts: vec![BaseRow {
                key: key("2026-03"),
                counts: [10, 0, 0, 0],
                times: Default::default(),
            }],
            counter: vec![
                CounterRow {
                    key: key("2026-03"),
                    counter: 90,
                    online: 10,
                },
                CounterRow {
                    key: key("2026-04"),
                    counter: 2,
                    online: 0,
                },
            ],
        };
        let table = tabulate(&input, &[Dimension::Month], 3);
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.rows[0].share, Some(Share::Suppressed));
        assert_eq!(table.rows[1].share, Some(Share::Suppressed));
        assert_eq!(table.total_share, Some(Share::Value(0.098)));
        let by_week = tabulate(&input, &[Dimension::Week], 3);
        assert!(!by_week.has_share());
        assert_eq!(by_week.rows[0].share, None);
        let alone = Input {
            counter: input.counter[..1].to_vec(),
            ..input.clone()
        };
        let table = tabulate(&alone, &[Dimension::Month], 3);
        assert_eq!(table.rows[0].share, Some(Share::Value(0.1)));
    }
}
