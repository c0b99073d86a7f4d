//! Open statistics (issue 22; docs/STATISTICS.md): counts of filings by procedure,
//! country, unit and month of submission, published with small-cell suppression so that
//! no one can be singled out.
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
        Month => "month",
    }
);

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

/// One row of the finest grain, as the store counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseRow {
    pub procedure: String,
    pub country: String,
    pub unit: String,
    /// `YYYY-MM` (UTC).
    pub month: String,
    /// By [`Measure::ALL`] order.
    pub counts: [u64; 4],
}

impl BaseRow {
    fn key(&self, dims: &[Dimension]) -> Vec<String> {
        dims.iter()
            .map(|d| match d {
                Dimension::Procedure => self.procedure.clone(),
                Dimension::Country => self.country.clone(),
                Dimension::Unit => self.unit.clone(),
                Dimension::Month => self.month.clone(),
            })
            .collect()
    }
}

/// A published count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    Count(u64),
    /// Below the threshold (or its complement): published as `<k`.
    Suppressed,
}

/// One published row: the values of the dimensions, then a cell per measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub key: Vec<String>,
    pub cells: [Cell; 4],
}

/// The published table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub dimensions: Vec<Dimension>,
    pub threshold: u32,
    pub rows: Vec<Row>,
    pub totals: [Cell; 4],
}

/// Aggregates `base` over `dims` (in their order), then suppresses small cells with the
/// threshold `k` (at least 1).
pub fn tabulate(base: &[BaseRow], dims: &[Dimension], k: u32) -> Table {
    let mut sums: BTreeMap<Vec<String>, [u64; 4]> = BTreeMap::new();
    for row in base {
        let entry = sums.entry(row.key(dims)).or_default();
        for (sum, count) in entry.iter_mut().zip(row.counts) {
            *sum += count;
        }
    }
    let keys: Vec<Vec<String>> = sums.keys().cloned().collect();
    let values: Vec<[u64; 4]> = sums.into_values().collect();
    let mut rows: Vec<Row> = keys
        .into_iter()
        .map(|key| Row {
            key,
            cells: [Cell::Count(0); 4],
        })
        .collect();
    let mut totals = [Cell::Count(0); 4];
    for m in 0..4 {
        let column: Vec<u64> = values.iter().map(|v| v[m]).collect();
        let (cells, total) = suppress(&column, u64::from(k.max(1)));
        for (row, cell) in rows.iter_mut().zip(cells) {
            row.cells[m] = cell;
        }
        totals[m] = total;
    }
    Table {
        dimensions: dims.to_vec(),
        threshold: k.max(1),
        rows,
        totals,
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
    /// suppressed cell reads `<k`.
    pub fn flat(&self) -> Flat {
        let label = |c: &Cell| match c {
            Cell::Count(n) => n.to_string(),
            Cell::Suppressed => format!("<{}", self.threshold),
        };
        let mut header: Vec<String> = self.dimensions.iter().map(|d| d.to_string()).collect();
        header.extend(Measure::ALL.iter().map(|m| m.to_string()));
        let mut lines: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                let mut line = r.key.clone();
                line.extend(r.cells.iter().map(label));
                line
            })
            .collect();
        let mut total = vec!["total".to_owned()];
        total.extend(std::iter::repeat_n(
            String::new(),
            self.dimensions.len().saturating_sub(1),
        ));
        if self.dimensions.is_empty() {
            total.clear();
        }
        total.extend(self.totals.iter().map(label));
        lines.push(total);
        Flat { header, lines }
    }
}

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
            procedure: procedure.into(),
            country: "BE".into(),
            unit: "u".into(),
            month: month.into(),
            counts,
        };
        let base = [
            row("a", "2026-01", [8, 2, 0, 0]),
            row("a", "2026-02", [7, 1, 0, 0]),
            row("b", "2026-01", [30, 20, 5, 0]),
        ];
        let table = tabulate(&base, &[Dimension::Procedure], 10);
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
                "redirected"
            ]
        );
        assert_eq!(flat.lines[0], ["a", "15", "<10", "0", "0"]);
        assert_eq!(flat.lines[2], ["total", "45", "23", "<10", "0"]);
    }
}
