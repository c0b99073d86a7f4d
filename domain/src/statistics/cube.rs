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

use super::{
    decode, region_of, BaseRow, CounterRow, Dimension, Group, Grouped, HistogramSum, Key,
    Percentiles, UNKNOWN_PLACE,
};
use rustc_hash::FxHashMap as HashMap;

/// The six fields of a cell, in [`Key`]'s order.
const FIELDS: usize = 6;
const PROCEDURE: usize = 0;
const UNIT: usize = 2;
const MUNICIPALITY: usize = 3;
const MONTH: usize = 5;
/// A field that a grouping leaves out.
const ALL: u32 = u32::MAX;

#[derive(Debug, Clone)]
struct CubeCell {
    key: [u32; FIELDS],
    counts: [u64; 4],
    /// Each histogram's pairs in [`Cube::pairs`]: where they start, and how many.
    times: [(usize, usize); 2],
}

/// The summary's cells in memory, sorted by month. Built by [`Cube::new`] or
/// [`Cube::add`] from the store's rows, changed by [`Cube::remove`]; read by
/// [`Cube::groups`] and [`Cube::with_online`]. Every histogram's pairs are in one
/// buffer, so that a copy (to change it while readers hold the old one) is a few
/// large copies rather than one allocation per histogram.
#[derive(Debug, Default, Clone)]
pub struct Cube {
    /// Each field's distinct values; a cell's key holds indexes into them.
    values: [Vec<String>; FIELDS],
    index: [HashMap<String, u32>; FIELDS],
    /// By municipality: the first municipality of its region, which stands for the
    /// region when a grouping asks for the region but not the municipality.
    region_of: Vec<u32>,
    /// By municipality: its region, as published ([`region_of`]).
    region_names: Vec<String>,
    regions: HashMap<String, u32>,
    cells: Vec<CubeCell>,
    /// The histograms' `(bucket, filings)` pairs, each histogram's sorted by bucket.
    pairs: Vec<(u64, u64)>,
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
        self.push(key, counts, pairs);
        readable
    }

    /// Removes the cells of `keys` (each key's fields in [`Key`]'s order), as a refresh
    /// that rebuilt those cells leaves them: their new content, where they still have
    /// filings, is then [`Cube::add`]ed, and [`Cube::finish`] ends the change. A key
    /// the cube does not hold is ignored. Returns how many cells were removed.
    pub fn remove<'a>(&mut self, keys: impl IntoIterator<Item = [&'a str; FIELDS]>) -> usize {
        let mut removed: rustc_hash::FxHashSet<[u32; FIELDS]> = Default::default();
        'keys: for fields in keys {
            let mut key = [0; FIELDS];
            for (field, value) in fields.into_iter().enumerate() {
                match self.index[field].get(value) {
                    Some(&i) => key[field] = i,
                    None => continue 'keys,
                }
            }
            removed.insert(key);
        }
        let before = self.cells.len();
        if !removed.is_empty() {
            self.cells.retain(|c| !removed.contains(&c.key));
        }
        before - self.cells.len()
    }

    fn push(&mut self, fields: [&str; FIELDS], counts: [u64; 4], times: [Vec<(u64, u64)>; 2]) {
        let mut key = [0; FIELDS];
        for (field, value) in fields.into_iter().enumerate() {
            key[field] = self.intern(field, value);
        }
        let times = times.map(|mut pairs| {
            pairs.sort_unstable_by_key(|p| p.0);
            let start = self.pairs.len();
            self.pairs.extend_from_slice(&pairs);
            (start, pairs.len())
        });
        self.cells.push(CubeCell { key, counts, times });
    }

    /// Ends a build or a change by [`Cube::add`] and [`Cube::remove`]: sorts the cells
    /// by month (a window is then a range; the sort is stable and merges sorted runs,
    /// so a few cells added to a sorted cube cost little), and lays their pairs out
    /// again in that order, without the removed cells' pairs.
    pub fn finish(mut self) -> Cube {
        let months = &self.values[MONTH];
        self.cells
            .sort_by(|a, b| months[a.key[MONTH] as usize].cmp(&months[b.key[MONTH] as usize]));
        let mut pairs = Vec::with_capacity(self.pairs.len());
        for cell in &mut self.cells {
            for (start, len) in &mut cell.times {
                let from = *start;
                *start = pairs.len();
                pairs.extend_from_slice(&self.pairs[from..from + *len]);
            }
        }
        self.pairs = pairs;
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
            let region = region_of(value);
            let first = *self.regions.entry(region.clone()).or_insert(i);
            self.region_of.push(first);
            self.region_names.push(region);
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

    /// The groups of the months `[from, to]` (`YYYY-MM`) by `dims`, as
    /// [`super::group`] gives them from the cells themselves (sorted by key, each key
    /// once, only groups with at least one filing): counts summed, percentiles of the
    /// histograms merged. The cells are grouped by their interned fields (a region by
    /// one municipality standing for it) and ordered by group; the groups are sorted by
    /// the rank of each dimension's published value, then each group's histograms are
    /// merged in one small buffer reused from group to group, and it is given its text
    /// key. Memory: a few words per cell and per group, nothing per pair.
    pub fn groups(&self, from: &str, to: &str, dims: &[Dimension]) -> Grouped {
        let kept = kept(dims);
        // A region without its municipalities: one municipality stands for each region.
        let by_region =
            dims.contains(&Dimension::Region) && !dims.contains(&Dimension::Municipality);
        let cells = self.window(from, to);
        // Each cell's group (by interned fields), each group's key and counts, and how
        // many cells each group has: no allocation per group.
        let mut at: HashMap<[u32; FIELDS], u32> = HashMap::default();
        let mut keys: Vec<[u32; FIELDS]> = Vec::new();
        let mut counts: Vec<[u64; 4]> = Vec::new();
        let mut sizes: Vec<usize> = Vec::new();
        let mut group_of: Vec<usize> = Vec::with_capacity(cells.len());
        let mut all: [HistogramSum; 2] = Default::default();
        for cell in cells {
            let mut key = cell.key;
            for (value, keep) in key.iter_mut().zip(kept) {
                if !keep {
                    *value = ALL;
                }
            }
            if by_region {
                key[MUNICIPALITY] = self.region_of[cell.key[MUNICIPALITY] as usize];
            }
            let g = *at.entry(key).or_insert_with(|| {
                keys.push(key);
                counts.push([0; 4]);
                sizes.push(0);
                u32::try_from(keys.len() - 1).unwrap_or(u32::MAX)
            }) as usize;
            group_of.push(g);
            for (sum, n) in counts[g].iter_mut().zip(cell.counts) {
                *sum += n;
            }
            sizes[g] += 1;
            for (sum, (start, len)) in all.iter_mut().zip(cell.times) {
                for &(b, n) in &self.pairs[start..start + len] {
                    sum.add(b, n);
                }
            }
        }
        // The cells of each group, group after group (a counting sort by group).
        let mut next = 0;
        let starts: Vec<usize> = sizes
            .iter()
            .map(|size| {
                next += size;
                next - size
            })
            .collect();
        let mut members = vec![0; cells.len()];
        let mut cursor = starts.clone();
        for (c, &g) in group_of.iter().enumerate() {
            members[cursor[g]] = c;
            cursor[g] += 1;
        }
        // Each dimension's published value, and its rank among the values published.
        let published: Vec<(usize, Vec<&str>)> = dims.iter().map(|&d| self.published(d)).collect();
        let ranks: Vec<Vec<u32>> = published.iter().map(|(_, texts)| rank(texts)).collect();
        let order = |key: &[u32; FIELDS]| -> [u32; 7] {
            let mut order = [0; 7];
            for (o, ((field, _), ranks)) in order.iter_mut().zip(published.iter().zip(&ranks)) {
                *o = ranks[key[*field] as usize];
            }
            order
        };
        let mut sorted: Vec<([u32; 7], usize)> = (0..keys.len())
            .filter(|&g| counts[g][0] > 0)
            .map(|g| (order(&keys[g]), g))
            .collect();
        sorted.sort_unstable();
        let mut groups: Vec<Group> = Vec::with_capacity(sorted.len());
        let mut scratch: Vec<(u64, u64)> = Vec::new();
        // Two values published alike (a municipality named `unknown`, say) are one
        // group, as the cells themselves would give: a run of equal orders.
        for run in sorted.chunk_by(|a, b| a.0 == b.0) {
            let g = run[0].1;
            let mut group_counts = [0; 4];
            for &(_, other) in run {
                for (sum, n) in group_counts.iter_mut().zip(counts[other]) {
                    *sum += n;
                }
            }
            // Each histogram of the group: its cells' pairs in one small buffer,
            // reused from group to group (a cell's own are already sorted).
            let times = [0, 1].map(|h| {
                scratch.clear();
                for &(_, other) in run {
                    for &c in &members[starts[other]..starts[other] + sizes[other]] {
                        let (start, len) = cells[c].times[h];
                        scratch.extend_from_slice(&self.pairs[start..start + len]);
                    }
                }
                if run.len() > 1 || sizes[g] > 1 {
                    scratch.sort_unstable_by_key(|p| p.0);
                }
                Percentiles::of(&scratch)
            });
            groups.push(Group {
                key: published
                    .iter()
                    .map(|(field, texts)| texts[keys[g][*field] as usize].to_owned())
                    .collect(),
                counts: group_counts,
                times,
            });
        }
        Grouped {
            groups,
            all_times: all.map(|sum| Percentiles::of(&sum.pairs())),
        }
    }

    /// The field a dimension is grouped by, and the value published for each of the
    /// field's interned values (a region's for a municipality; `unknown` for a missing
    /// place).
    fn published(&self, dimension: Dimension) -> (usize, Vec<&str>) {
        let field = match dimension {
            Dimension::Procedure => PROCEDURE,
            Dimension::Country => 1,
            Dimension::Unit => UNIT,
            Dimension::Municipality | Dimension::Region => MUNICIPALITY,
            Dimension::Week => 4,
            Dimension::Month => MONTH,
        };
        let texts = match dimension {
            Dimension::Region => self.region_names.iter().map(String::as_str).collect(),
            Dimension::Municipality => self.values[field]
                .iter()
                .map(|m| {
                    if m.is_empty() {
                        UNKNOWN_PLACE
                    } else {
                        m.as_str()
                    }
                })
                .collect(),
            _ => self.values[field].iter().map(String::as_str).collect(),
        };
        (field, texts)
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
        let mut online: HashMap<[u32; 3], u64> = HashMap::default();
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

/// The rank of each text among `texts` (equal texts have equal ranks): comparing ranks
/// compares the texts.
fn rank(texts: &[&str]) -> Vec<u32> {
    let mut by_text: Vec<u32> = (0..u32::try_from(texts.len()).unwrap_or(u32::MAX)).collect();
    by_text.sort_unstable_by_key(|&i| texts[i as usize]);
    let mut ranks = vec![0; texts.len()];
    let mut r = 0;
    for (n, &i) in by_text.iter().enumerate() {
        if n > 0 && texts[by_text[n - 1] as usize] != texts[i as usize] {
            r += 1;
        }
        ranks[i as usize] = r;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statistics::{publish, tabulate, Histogram, Input};

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
                // `unknown` is published like a missing municipality: one group.
                for municipality in [
                    "", "BE-21004", "BE-25121", "BE-11002", "BE-44021", "LU-0304", "unknown",
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
        let groupings: [&[Dimension]; 9] = [
            Dimension::DEFAULT,
            &[Dimension::Procedure, Dimension::Month],
            &[Dimension::Unit],
            &[Dimension::Region, Dimension::Week],
            &[Dimension::Municipality],
            &[
                Dimension::Procedure,
                Dimension::Municipality,
                Dimension::Month,
            ],
            &[Dimension::Month, Dimension::Region, Dimension::Municipality],
            &[Dimension::Week, Dimension::Country],
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
            // Counter counts of a unit with cells, and of one without (a row of its own).
            let counter = cube.with_online(
                from,
                to,
                ["be-a", "be-z"]
                    .map(|unit| CounterRow {
                        key: key("bicycle_theft", "be", unit, "", "", "2026-02"),
                        counter: 40,
                        online: 0,
                    })
                    .to_vec(),
            );
            for dims in groupings {
                let direct = tabulate(
                    &Input {
                        counts: window.clone(),
                        counter: counter.clone(),
                    },
                    dims,
                    5,
                );
                let groups = cube.groups(from, to, dims);
                assert!(groups.groups.len() <= window.len());
                assert_eq!(
                    groups,
                    crate::statistics::group(&window, dims),
                    "{dims:?} {from}..{to}"
                );
                let grouped = publish(groups, &counter, dims, 5);
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
        let grouped = cube.groups("2026-01", "2026-01", &[Dimension::Region]);
        let groups = &grouped.groups;
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].key, ["BE-BRU"]);
        assert_eq!(groups[0].counts, [4, 1, 0, 0]);
        assert_eq!(
            groups[0].times[0],
            Percentiles::of(&[(0, 2), (6, 1), (17, 1)])
        );
        assert_eq!(groups[0].times[1], Percentiles::of(&[(40, 1)]));
        assert_eq!(grouped.all_times, groups[0].times);
    }

    #[test]
    fn a_cube_changed_in_place_equals_the_cube_of_the_new_cells() {
        let all = cells();
        let stored = |r: &BaseRow| {
            let encoded = r.times.clone().map(|h| crate::statistics::encode(&h));
            (r.key.clone(), r.counts, encoded)
        };
        // A refresh rebuilt every fifth cell: one in two of them changed its counts,
        // the others lost all their filings; and it added two new cells.
        let mut after: Vec<BaseRow> = Vec::new();
        let mut changed: Vec<Key> = Vec::new();
        for (i, row) in all.iter().enumerate() {
            if i % 5 != 0 {
                after.push(row.clone());
                continue;
            }
            changed.push(row.key.clone());
            if i % 10 == 0 {
                let mut row = row.clone();
                row.counts[0] += 3;
                *row.times[0].entry(40).or_default() += 3;
                after.push(row);
            }
        }
        for (unit, month) in [("be-new", "2026-02"), ("lu-c", "2026-04")] {
            let row = BaseRow {
                key: key("lost_object", "BE", unit, "BE-21004", "2026-W07", month),
                counts: [4, 1, 0, 0],
                times: [Histogram::from([(3, 4)]), Histogram::new()],
            };
            changed.push(row.key.clone());
            after.push(row);
        }
        let mut cube = Cube::new(all.clone());
        let removed = cube.remove(changed.iter().map(fields));
        assert_eq!(removed, all.len().div_ceil(5));
        for row in after.iter().filter(|r| changed.contains(&r.key)) {
            let (k, counts, times) = stored(row);
            assert!(cube.add(fields(&k), counts, [&times[0], &times[1]]));
        }
        let cube = cube.finish();
        let expected = Cube::new(after.clone());
        assert_eq!(cube.len(), after.len());
        for dims in [
            Dimension::DEFAULT,
            &[
                Dimension::Procedure,
                Dimension::Municipality,
                Dimension::Week,
            ][..],
            &[Dimension::Region],
            &[],
        ] {
            for (from, to) in [("2026-01", "2026-04"), ("2026-02", "2026-02")] {
                assert_eq!(
                    cube.groups(from, to, dims),
                    expected.groups(from, to, dims),
                    "{dims:?} {from}..{to}"
                );
            }
        }
        // A key the cube never held is no cell to remove.
        let mut same = Cube::new(after);
        assert_eq!(
            same.remove([["x", "BE", "be-a", "", "2026-W02", "2026-01"]]),
            0
        );
    }

    #[test]
    fn a_window_without_cells_gives_no_row() {
        let cube = Cube::new(cells());
        assert!(cube
            .groups("2025-01", "2025-12", Dimension::DEFAULT)
            .groups
            .is_empty());
        assert!(cube
            .groups("2026-03", "2026-01", Dimension::DEFAULT)
            .groups
            .is_empty());
        assert!(Cube::new(Vec::new())
            .groups("2026-01", "2026-12", &[])
            .groups
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
