//! The summary held in memory (docs/STATISTICS.md, "Answering"): every cell of the
//! summary (procedure, country, unit, municipality, ISO week, month) with its counts and
//! time histograms, loaded once per generation of the summary, from which the rows of
//! any grouping and window are gathered without going back to the store.
//!
//! Why: grouping a year of 1,000,000 filings (about 170,000 cells) in SQL cost 0.2 to
//! 1.1 s per grouping (`bench/RESULTS.md`), once per grouping and per refresh; the same
//! grouping over the cells in memory costs tens of milliseconds, and the load is paid
//! once per refresh, off the request path.
//!
//! The cells are compact: each field's values are interned (a few hundred units and
//! municipalities, a few dozen weeks), and a histogram is a sorted slice of
//! `(bucket, filings)`.

use super::{decode, region_of, BaseRow, CounterRow, Dimension, Histogram, Key};
use std::collections::HashMap;

/// The six fields of a cell, in [`Key`]'s order.
const FIELDS: usize = 6;
const PROCEDURE: usize = 0;
const UNIT: usize = 2;
const MUNICIPALITY: usize = 3;
const MONTH: usize = 5;
/// A field that a grouping leaves out.
const ALL: u32 = u32::MAX;

#[derive(Debug)]
struct CubeCell {
    key: [u32; FIELDS],
    counts: [u64; 4],
    times: [Box<[(u64, u64)]>; 2],
}

/// The summary's cells in memory, sorted by month. Built by [`Cube::new`] from the
/// store's rows; read by [`Cube::rows`] and [`Cube::with_online`].
#[derive(Debug, Default)]
pub struct Cube {
    /// Each field's distinct values; a cell's key holds indexes into them.
    values: [Vec<String>; FIELDS],
    index: [HashMap<String, u32>; FIELDS],
    /// By municipality: the first municipality of its region, which stands for the
    /// region when a grouping asks for the region but not the municipality.
    region_of: Vec<u32>,
    regions: HashMap<String, u32>,
    cells: Vec<CubeCell>,
}

fn fields(key: &Key) -> [&str; FIELDS] {
    [
        &key.procedure,
        &key.country,
        &key.unit,
        &key.municipality,
        &key.week,
        &key.month,
    ]
}

/// Which fields a grouping by `dims` keeps (the region is grouped by its
/// municipalities: the table derives it from them).
fn kept(dims: &[Dimension]) -> [bool; FIELDS] {
    let has = |d: Dimension| dims.contains(&d);
    [
        has(Dimension::Procedure),
        has(Dimension::Country),
        has(Dimension::Unit),
        has(Dimension::Municipality) || has(Dimension::Region),
        has(Dimension::Week),
        has(Dimension::Month),
    ]
}

impl Cube {
    /// The cube of the summary's `cells` (one per key, as the store holds them).
    pub fn new(cells: impl IntoIterator<Item = BaseRow>) -> Cube {
        let mut cube = Cube::default();
        for row in cells {
            let times = row
                .times
                .map(|h| h.into_iter().filter(|(_, n)| *n > 0).collect());
            cube.push(fields(&row.key), row.counts, times);
        }
        cube.finish()
    }

    /// Adds one cell as stored: its key's fields (in [`Key`]'s order), its counts and
    /// its two histograms as stored text ([`super::encode`]). Returns false when a
    /// histogram had an unreadable pair (left out). [`Cube::finish`] ends the build.
    pub fn add(&mut self, key: [&str; FIELDS], counts: [u64; 4], times: [&str; 2]) -> bool {
        let mut pairs: [Vec<(u64, u64)>; 2] = Default::default();
        let readable = decode(times[0], &mut pairs[0]) & decode(times[1], &mut pairs[1]);
        self.push(key, counts, pairs.map(Vec::into_boxed_slice));
        readable
    }

    fn push(&mut self, fields: [&str; FIELDS], counts: [u64; 4], times: [Box<[(u64, u64)]>; 2]) {
        let mut key = [0; FIELDS];
        for (field, value) in fields.into_iter().enumerate() {
            key[field] = self.intern(field, value);
        }
        self.cells.push(CubeCell { key, counts, times });
    }

    /// Ends a build by [`Cube::add`]: sorts the cells by month (a window is then a
    /// range).
    pub fn finish(mut self) -> Cube {
        let months = &self.values[MONTH];
        self.cells
            .sort_by(|a, b| months[a.key[MONTH] as usize].cmp(&months[b.key[MONTH] as usize]));
        self
    }

    fn intern(&mut self, field: usize, value: &str) -> u32 {
        if let Some(&i) = self.index[field].get(value) {
            return i;
        }
        let i = u32::try_from(self.values[field].len()).unwrap_or(ALL - 1);
        self.values[field].push(value.to_owned());
        self.index[field].insert(value.to_owned(), i);
        if field == MUNICIPALITY {
            let first = *self.regions.entry(region_of(value)).or_insert(i);
            self.region_of.push(first);
        }
        i
    }

    /// How many cells the cube holds.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether the cube holds no cell.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    fn month(&self, cell: &CubeCell) -> &str {
        &self.values[MONTH][cell.key[MONTH] as usize]
    }

    /// The cells of the months `[from, to]` (`YYYY-MM`).
    fn window(&self, from: &str, to: &str) -> &[CubeCell] {
        let start = self.cells.partition_point(|c| self.month(c) < from);
        let end = self.cells.partition_point(|c| self.month(c) <= to);
        self.cells.get(start..end.max(start)).unwrap_or_default()
    }

    /// The rows of the months `[from, to]` (`YYYY-MM`) grouped by `dims`, as
    /// [`super::tabulate`] takes them: one per group with at least one filing, its
    /// counts summed and its histograms merged; the fields `dims` leave out are empty
    /// (a region's rows are its municipalities'). The same rows as the store's grouped
    /// query, in no particular order.
    pub fn rows(&self, from: &str, to: &str, dims: &[Dimension]) -> Vec<BaseRow> {
        let kept = kept(dims);
        // A region without its municipalities: one municipality stands for each region.
        let by_region =
            dims.contains(&Dimension::Region) && !dims.contains(&Dimension::Municipality);
        let mut groups: HashMap<[u32; FIELDS], usize> = HashMap::new();
        // Per group: the counts, and the histograms' pairs gathered (merged at the end).
        let mut sums: Vec<Gathered> = Vec::new();
        for cell in self.window(from, to) {
            let mut key = cell.key;
            for (value, keep) in key.iter_mut().zip(kept) {
                if !keep {
                    *value = ALL;
                }
            }
            if by_region {
                key[MUNICIPALITY] = self.region_of[cell.key[MUNICIPALITY] as usize];
            }
            let at = *groups.entry(key).or_insert_with(|| {
                sums.push((key, [0; 4], Default::default()));
                sums.len() - 1
            });
            let (_, counts, times) = &mut sums[at];
            for (sum, n) in counts.iter_mut().zip(cell.counts) {
                *sum += n;
            }
            for (pairs, cell_pairs) in times.iter_mut().zip(&cell.times) {
                pairs.extend_from_slice(cell_pairs);
            }
        }
        sums.into_iter()
            .filter(|(_, counts, _)| counts[0] > 0)
            .map(|(key, counts, times)| BaseRow {
                key: self.key_of(key),
                counts,
                times: times.map(merged),
            })
            .collect()
    }

    /// The key of a group (for a region's group, the municipality standing for it: the
    /// table derives the same region from it).
    fn key_of(&self, key: [u32; FIELDS]) -> Key {
        let value = |field: usize| match key[field] {
            ALL => String::new(),
            i => self.values[field]
                .get(i as usize)
                .cloned()
                .unwrap_or_default(),
        };
        Key {
            procedure: value(0),
            country: value(1),
            unit: value(2),
            municipality: value(3),
            week: value(4),
            month: value(5),
        }
    }

    /// `counter` (a unit's counter counts, one per unit, procedure and month of the
    /// window `[from, to]`) with `online` set to the filings submitted online in the same
    /// unit, procedure and month, as the summary counts them.
    pub fn with_online(
        &self,
        from: &str,
        to: &str,
        mut counter: Vec<CounterRow>,
    ) -> Vec<CounterRow> {
        if counter.is_empty() {
            return counter;
        }
        let mut online: HashMap<[u32; 3], u64> = HashMap::new();
        for cell in self.window(from, to) {
            *online
                .entry([cell.key[UNIT], cell.key[PROCEDURE], cell.key[MONTH]])
                .or_default() += cell.counts[0];
        }
        for row in &mut counter {
            let id = |field: usize, value: &str| self.index[field].get(value).copied();
            row.online = match (
                id(UNIT, &row.key.unit),
                id(PROCEDURE, &row.key.procedure),
                id(MONTH, &row.key.month),
            ) {
                (Some(u), Some(p), Some(m)) => online.get(&[u, p, m]).copied().unwrap_or(0),
                _ => 0,
            };
        }
        counter
    }
}

/// A group being gathered: its key, its counts, and its histograms' pairs.
type Gathered = ([u32; FIELDS], [u64; 4], [Vec<(u64, u64)>; 2]);

/// Gathered pairs as a histogram (the filings of equal buckets added).
fn merged(mut pairs: Vec<(u64, u64)>) -> Histogram {
    pairs.sort_unstable_by_key(|p| p.0);
    let mut histogram = Histogram::new();
    let mut pairs = pairs.into_iter().peekable();
    while let Some((bucket, mut n)) = pairs.next() {
        while let Some((_, more)) = pairs.next_if(|p| p.0 == bucket) {
            n += more;
        }
        histogram.insert(bucket, n);
    }
    histogram
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statistics::{tabulate, Input};

    fn key(p: &str, c: &str, u: &str, m: &str, w: &str, month: &str) -> Key {
        Key {
            procedure: p.into(),
            country: c.into(),
            unit: u.into(),
            municipality: m.into(),
            week: w.into(),
            month: month.into(),
        }
    }

    /// Cells of three months, several units, municipalities and weeks, with histograms
    /// (a small deterministic generator: the same cells on every run).
    fn cells() -> Vec<BaseRow> {
        let mut rows = Vec::new();
        let mut seed: u64 = 7;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) % n
        };
        let months = [
            ("2026-01", "2026-W02"),
            ("2026-02", "2026-W06"),
            ("2026-03", "2026-W10"),
        ];
        for (month, week) in months {
            for unit in ["be-a", "be-b", "lu-c"] {
                for municipality in [
                    "", "BE-21004", "BE-25121", "BE-11002", "BE-44021", "LU-0304",
                ] {
                    for procedure in ["bicycle_theft", "lost_object"] {
                        let submitted = next(30);
                        if submitted == 0 {
                            continue;
                        }
                        let mut times: [Histogram; 2] = Default::default();
                        for h in &mut times {
                            for _ in 0..next(4) {
                                *h.entry(next(60)).or_default() += 1 + next(3);
                            }
                        }
                        rows.push(BaseRow {
                            key: key(procedure, &unit[..2], unit, municipality, week, month),
                            counts: [submitted, next(submitted + 1), next(3), next(2)],
                            times,
                        });
                    }
                }
            }
        }
        rows
    }

    #[test]
    fn every_grouping_tabulates_as_the_cells_themselves() {
        let all = cells();
        let cube = Cube::new(all.clone());
        assert_eq!(cube.len(), all.len());
        let groupings: [&[Dimension]; 6] = [
            Dimension::DEFAULT,
            &[Dimension::Procedure, Dimension::Month],
            &[Dimension::Unit],
            &[Dimension::Region, Dimension::Week],
            &[Dimension::Municipality],
            &[],
        ];
        for (from, to) in [
            ("2026-01", "2026-03"),
            ("2026-02", "2026-02"),
            ("2026-02", "2027-01"),
        ] {
            let window: Vec<BaseRow> = all
                .iter()
                .filter(|r| r.key.month.as_str() >= from && r.key.month.as_str() <= to)
                .cloned()
                .collect();
            for dims in groupings {
                let direct = tabulate(
                    &Input {
                        counts: window.clone(),
                        counter: Vec::new(),
                    },
                    dims,
                    5,
                );
                let rows = cube.rows(from, to, dims);
                assert!(rows.len() <= window.len());
                let grouped = tabulate(
                    &Input {
                        counts: rows,
                        counter: Vec::new(),
                    },
                    dims,
                    5,
                );
                assert_eq!(grouped, direct, "{dims:?} {from}..{to}");
            }
        }
    }

    #[test]
    fn stored_cells_are_read_as_stored() {
        let mut cube = Cube::default();
        let key = [
            "bicycle_theft",
            "BE",
            "be-a",
            "BE-21004",
            "2026-W02",
            "2026-01",
        ];
        assert!(cube.add(key, [3, 1, 0, 0], ["0:2,17:1", "40:1,40:0"]));
        assert!(
            !cube.add(key, [1, 0, 0, 0], ["5:x,6:1", ""]),
            "an unreadable pair"
        );
        let cube = cube.finish();
        let rows = cube.rows("2026-01", "2026-01", &[Dimension::Region]);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].counts, [4, 1, 0, 0]);
        assert_eq!(rows[0].times[0], Histogram::from([(0, 2), (6, 1), (17, 1)]));
        assert_eq!(rows[0].times[1], Histogram::from([(40, 1)]));
    }

    #[test]
    fn a_window_without_cells_gives_no_row() {
        let cube = Cube::new(cells());
        assert!(cube
            .rows("2025-01", "2025-12", Dimension::DEFAULT)
            .is_empty());
        assert!(cube
            .rows("2026-03", "2026-01", Dimension::DEFAULT)
            .is_empty());
        assert!(Cube::new(Vec::new())
            .rows("2026-01", "2026-12", &[])
            .is_empty());
    }

    #[test]
    fn the_online_part_of_a_counter_count_is_its_unit_procedure_and_month() {
        let all = cells();
        let cube = Cube::new(all.clone());
        let expected: u64 = all
            .iter()
            .filter(|r| {
                r.key.unit == "be-a"
                    && r.key.procedure == "bicycle_theft"
                    && r.key.month == "2026-02"
            })
            .map(|r| r.counts[0])
            .sum();
        let row = |unit: &str| CounterRow {
            key: key("bicycle_theft", "be", unit, "", "", "2026-02"),
            counter: 40,
            online: 0,
        };
        let counted = cube.with_online("2026-01", "2026-03", vec![row("be-a"), row("be-unknown")]);
        assert_eq!(counted[0].online, expected);
        assert_eq!(counted[1].online, 0);
        assert_eq!(counted[0].counter, 40);
        // Outside the window, nothing is online.
        let outside = cube.with_online("2026-03", "2026-03", vec![row("be-a")]);
        assert_eq!(outside[0].online, 0);
    }
}
