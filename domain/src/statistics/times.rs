//! Processing times, online share, weeks and regions of the open statistics
//! (docs/STATISTICS.md).
//!
//! - **Times** are counted from the submission to the first taking in charge
//!   (`taken_in_charge`) and to **the end**: the first of `registered`, `rejected`,
//!   `redirected` or `closed` in the filing's history (a withdrawal is the citizen's act,
//!   not an outcome of processing, and does not count). Each time is in **whole hours**
//!   (the elapsed time rounded down), then kept in a **log-scaled bucket** ([`bucket`]:
//!   exact below 32 hours, then 16 buckets per doubling, HdrHistogram's layout at one
//!   significant digit), so that a histogram holds at most a few hundred buckets however
//!   many filings it counts. The median and the 90th percentile are by the nearest-rank
//!   method over the buckets: the lower bound of the bucket that holds the value of rank
//!   `ceil(p × n)` in ascending order. The published time is therefore never above the
//!   exact nearest-rank time and less than 1/17 (5.9 %) below it ([`RELATIVE_ERROR`]),
//!   exact below 32 hours.
//! - A time computed from fewer than `k` filings is suppressed (`<k`); with none, there
//!   is no time (`null`).
//! - The **online share** is online / (online + counter), over the units, procedures and
//!   months that have counter counts; it is suppressed when either part is from 1 to
//!   `k - 1`.

use super::{BaseRow, Key};
use chrono::{DateTime, Datelike, Utc};
use std::collections::BTreeMap;

crate::code_enum!(
    /// The time measured from the submission.
    TimeKind, "processing time", {
        InCharge => "in_charge",
        End => "end",
    }
);

/// The time columns, in their published order.
pub const TIME_COLUMNS: [&str; 4] = [
    "in_charge_median_hours",
    "in_charge_p90_hours",
    "end_median_hours",
    "end_p90_hours",
];

/// The statuses that end a filing's processing ("the end").
pub const END_STATUSES: [&str; 4] = ["registered", "rejected", "redirected", "closed"];
/// The status of the taking in charge.
pub const IN_CHARGE_STATUS: &str = "taken_in_charge";

/// Times below this many hours have a bucket of their own (exact).
pub const EXACT_BELOW_HOURS: u64 = 32;
/// From [`EXACT_BELOW_HOURS`] on, each doubling of the time is cut into this many
/// buckets of equal width.
pub const BUCKETS_PER_DOUBLING: u64 = 16;
/// The largest relative error of a published time: it is at most this fraction below
/// the exact nearest-rank time (never above). A bucket `[lo, lo + w)` has `w ≤ lo / 16`,
/// so `(t - lo) / t < w / (lo + w) ≤ 1 / 17`.
pub const RELATIVE_ERROR: f64 = 1.0 / 17.0;

/// The bucket of a time in whole hours: its lower bound. Exact below
/// [`EXACT_BELOW_HOURS`]; above, [`BUCKETS_PER_DOUBLING`] buckets per power of two (the
/// bucket of `t` in `[2^e, 2^(e+1))` is `t` rounded down to a multiple of `2^(e-4)`).
pub fn bucket(hours: u64) -> u64 {
    if hours < EXACT_BELOW_HOURS {
        return hours;
    }
    let exponent = 63 - u64::from(hours.leading_zeros());
    let width = 1u64 << (exponent - u64::from(BUCKETS_PER_DOUBLING.trailing_zeros()));
    hours - hours % width
}

/// Counter counts and the online filings of the same units, procedures and months.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterRow {
    pub key: Key,
    /// Filed at the counter (imported).
    pub counter: u64,
    /// Submitted online in the same unit, procedure and month.
    pub online: u64,
}

/// Filings by bucket ([`bucket`]: the lower bound, in whole hours).
pub type Histogram = BTreeMap<u64, u64>;

/// A histogram as stored in the summary: `bucket:filings` pairs, comma-separated, in
/// ascending order (`"0:3,17:1,40:2"`); empty for no filing.
pub fn encode(histogram: &Histogram) -> String {
    histogram
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(b, n)| format!("{b}:{n}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Adds the pairs of stored histograms (one, or several joined by commas, as SQL's
/// `string_agg` gives them) to `histogram`. Returns false if some pair was unreadable
/// (it is left out).
pub fn merge_encoded(histogram: &mut Histogram, text: &str) -> bool {
    let mut pairs = Vec::new();
    let readable = decode(text, &mut pairs);
    for (b, n) in pairs {
        *histogram.entry(b).or_default() += n;
    }
    readable
}

/// A stored histogram ([`encode`]) added to `into` as `(bucket, filings)` pairs, in
/// their stored order, zero counts left out. Returns false if some pair was unreadable
/// (it is left out).
pub fn decode(text: &str, into: &mut Vec<(u64, u64)>) -> bool {
    let mut readable = true;
    for pair in text.split(',').filter(|p| !p.is_empty()) {
        match pair
            .split_once(':')
            .and_then(|(b, n)| Some((b.parse::<u64>().ok()?, n.parse::<u64>().ok()?)))
        {
            Some((_, 0)) => {}
            Some(pair) => into.push(pair),
            None => readable = false,
        }
    }
    readable
}

/// A published time, in whole hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Time {
    Hours(u64),
    /// Computed from fewer than `k` filings.
    Suppressed,
    /// No filing has this time yet.
    None,
}

/// A published online share.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Share {
    /// online / (online + counter), from 0 to 1, rounded to three decimals.
    Value(f64),
    /// Online or counter count from 1 to `k - 1`.
    Suppressed,
    /// No counter counts for this row.
    None,
}

/// The nearest-rank percentile `p` (0 < p ≤ 100) of a histogram; `None` when empty.
pub fn percentile(histogram: &Histogram, p: u64) -> Option<u64> {
    let pairs: Vec<(u64, u64)> = histogram.iter().map(|(&b, &n)| (b, n)).collect();
    percentile_of(&pairs, p)
}

/// The nearest-rank percentile `p` (0 < p ≤ 100) of a histogram given as
/// `(bucket, filings)` pairs in ascending order of bucket (a bucket may repeat: its
/// pairs are then adjacent); `None` when it counts no filing.
pub fn percentile_of(pairs: &[(u64, u64)], p: u64) -> Option<u64> {
    let n: u64 = pairs.iter().map(|(_, filings)| filings).sum();
    if n == 0 {
        return None;
    }
    let rank = (p * n).div_ceil(100).max(1);
    let mut seen = 0;
    for &(hours, filings) in pairs {
        seen += filings;
        if seen >= rank {
            return Some(hours);
        }
    }
    pairs.last().map(|(hours, _)| *hours)
}

/// What is published of one histogram: how many filings it counts, and its
/// nearest-rank median and 90th percentile (`None` when it counts none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Percentiles {
    pub filings: u64,
    pub median: Option<u64>,
    pub p90: Option<u64>,
}

impl Percentiles {
    /// Of `pairs` sorted by bucket, as [`percentile_of`] reads them.
    pub fn of(pairs: &[(u64, u64)]) -> Percentiles {
        Percentiles {
            filings: pairs.iter().map(|(_, filings)| filings).sum(),
            median: percentile_of(pairs, 50),
            p90: percentile_of(pairs, 90),
        }
    }
}

/// The four published times of a group (median and p90 to taking in charge, then to
/// the end) from its two histograms' [`Percentiles`], each suppressed when it comes
/// from fewer than `k` filings.
pub fn times_of(histograms: [Percentiles; 2], k: u32) -> [Time; 4] {
    let one = |h: Percentiles, value: Option<u64>| match value {
        None => Time::None,
        Some(_) if h.filings < u64::from(k) => Time::Suppressed,
        Some(hours) => Time::Hours(hours),
    };
    let [in_charge, end] = histograms;
    [
        one(in_charge, in_charge.median),
        one(in_charge, in_charge.p90),
        one(end, end.median),
        one(end, end.p90),
    ]
}

/// The slot of a bucket ([`bucket`]) in a dense array ordered like the buckets: the
/// exact hours below [`EXACT_BELOW_HOURS`], then [`BUCKETS_PER_DOUBLING`] per doubling
/// (at most 976 slots for any `u64`). `None` for a value that is not a bucket's lower
/// bound.
pub fn slot(b: u64) -> Option<usize> {
    if bucket(b) != b {
        return None;
    }
    if b < EXACT_BELOW_HOURS {
        return usize::try_from(b).ok();
    }
    let exponent = 63 - u64::from(b.leading_zeros());
    let shift = exponent - u64::from(BUCKETS_PER_DOUBLING.trailing_zeros());
    let first = EXACT_BELOW_HOURS
        + (exponent - u64::from(EXACT_BELOW_HOURS.trailing_zeros())) * BUCKETS_PER_DOUBLING;
    usize::try_from(first + (b >> shift) - BUCKETS_PER_DOUBLING).ok()
}

/// Many histograms added into one, in time linear in their pairs: a dense array by
/// [`slot`] (a pair whose bucket is not a bucket's lower bound, which the summary never
/// holds, is kept apart and still counted).
#[derive(Debug, Default)]
pub struct HistogramSum {
    dense: Vec<(u64, u64)>,
    other: Histogram,
}

impl HistogramSum {
    /// Adds `filings` in bucket `b`.
    pub fn add(&mut self, b: u64, filings: u64) {
        match slot(b) {
            Some(i) => {
                if self.dense.len() <= i {
                    self.dense.resize(i + 1, (0, 0));
                }
                self.dense[i] = (b, self.dense[i].1 + filings);
            }
            None => *self.other.entry(b).or_default() += filings,
        }
    }

    /// The sum as sorted pairs, each bucket once, empty buckets left out.
    pub fn pairs(self) -> Vec<(u64, u64)> {
        let mut pairs: Vec<(u64, u64)> = self.dense.into_iter().filter(|p| p.1 > 0).collect();
        if !self.other.is_empty() {
            pairs.extend(self.other);
            pairs.sort_unstable_by_key(|p| p.0);
            let mut merged: Vec<(u64, u64)> = Vec::with_capacity(pairs.len());
            for (b, n) in pairs {
                match merged.last_mut() {
                    Some(last) if last.0 == b => last.1 += n,
                    _ => merged.push((b, n)),
                }
            }
            return merged;
        }
        pairs
    }
}

/// The online share, suppressed when the online or the counter count is small.
pub fn share_of(online: u64, counter: u64, k: u32) -> Share {
    let k = u64::from(k);
    let small = |n: u64| n > 0 && n < k;
    if small(online) || small(counter) {
        return Share::Suppressed;
    }
    if online + counter == 0 {
        return Share::None;
    }
    let share = online as f64 / (online + counter) as f64;
    Share::Value((share * 1000.0).round() / 1000.0)
}

/// The ISO week `YYYY-Www` of an instant (UTC).
pub fn iso_week(at: DateTime<Utc>) -> String {
    let week = at.iso_week();
    format!("{:04}-W{:02}", week.year(), week.week())
}

/// The region of a municipality id (`docs/STATISTICS.md`): its first-level ISO 3166-2
/// region. Belgium: `BE-BRU`, `BE-VLG` or `BE-WAL` from the REFNIS code; France: the
/// region of the department (`FR-59…` → `FR-HDF`); Spain: the autonomous community in
/// the id (`ES-CT-…` → `ES-CT`); Luxembourg: `LU` (no regions). Unknown → `unknown`.
pub fn region_of(municipality: &str) -> String {
    let mut parts = municipality.splitn(3, '-');
    let (country, code) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let region = match country {
        "BE" => belgian_region(code),
        "FR" => french_region(code),
        "ES" if !code.is_empty() => return format!("ES-{code}"),
        "LU" => Some("LU"),
        _ => None,
    };
    region.unwrap_or(super::UNKNOWN_PLACE).to_owned()
}

fn belgian_region(refnis: &str) -> Option<&'static str> {
    match refnis.get(..2)? {
        "21" => Some("BE-BRU"),
        "23" | "24" => Some("BE-VLG"),
        "25" => Some("BE-WAL"),
        two => match two.get(..1)? {
            "1" | "3" | "4" | "7" => Some("BE-VLG"),
            "5" | "6" | "8" | "9" => Some("BE-WAL"),
            _ => None,
        },
    }
}

/// Departments by ISO 3166-2 region (metropolitan France; the overseas departments are
/// their own region: `FR-971` and so on).
const FRENCH_REGIONS: &[(&str, &[&str])] = &[
    (
        "FR-ARA",
        &[
            "01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74",
        ],
    ),
    ("FR-BFC", &["21", "25", "39", "58", "70", "71", "89", "90"]),
    ("FR-BRE", &["22", "29", "35", "56"]),
    ("FR-CVL", &["18", "28", "36", "37", "41", "45"]),
    ("FR-20R", &["2A", "2B"]),
    (
        "FR-GES",
        &["08", "10", "51", "52", "54", "55", "57", "67", "68", "88"],
    ),
    ("FR-HDF", &["02", "59", "60", "62", "80"]),
    ("FR-IDF", &["75", "77", "78", "91", "92", "93", "94", "95"]),
    ("FR-NOR", &["14", "27", "50", "61", "76"]),
    (
        "FR-NAQ",
        &[
            "16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87",
        ],
    ),
    (
        "FR-OCC",
        &[
            "09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82",
        ],
    ),
    ("FR-PDL", &["44", "49", "53", "72", "85"]),
    ("FR-PAC", &["04", "05", "06", "13", "83", "84"]),
];

fn french_region(insee: &str) -> Option<&'static str> {
    let department = insee.get(..2)?;
    if department == "97" {
        return match insee.get(..3)? {
            "971" => Some("FR-971"),
            "972" => Some("FR-972"),
            "973" => Some("FR-973"),
            "974" => Some("FR-974"),
            "976" => Some("FR-976"),
            _ => None,
        };
    }
    FRENCH_REGIONS
        .iter()
        .find(|(_, departments)| departments.contains(&department))
        .map(|(region, _)| *region)
}

/// One submitted filing as the summary counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub procedure: String,
    pub country: String,
    pub unit: String,
    pub municipality: String,
    pub submitted_at: DateTime<Utc>,
    /// The first taking in charge.
    pub in_charge_at: Option<DateTime<Utc>>,
    /// The first of [`END_STATUSES`].
    pub ended_at: Option<DateTime<Utc>>,
    /// Registered, rejected, redirected at some point.
    pub reached: [bool; 3],
}

fn hours_between(from: DateTime<Utc>, to: DateTime<Utc>) -> u64 {
    u64::try_from((to - from).num_seconds().max(0) / 3600).unwrap_or(0)
}

/// What one filing contributes to the summary: its cell, its two times as buckets, the
/// outcomes it reached. The store keeps it per filing, so that a refresh can take a
/// changed filing out of the cell it was in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    pub key: Key,
    /// The bucket of the time to the taking in charge.
    pub in_charge: Option<u64>,
    /// The bucket of the time to the end.
    pub end: Option<u64>,
    /// Registered, rejected, redirected at some point.
    pub reached: [bool; 3],
}

impl Fact {
    /// Its cell (procedure, country, unit, municipality, ISO week and month of the
    /// submission) and its bucketed times.
    pub fn contribution(&self) -> Contribution {
        let time =
            |at: Option<DateTime<Utc>>| at.map(|at| bucket(hours_between(self.submitted_at, at)));
        Contribution {
            key: Key {
                procedure: self.procedure.clone(),
                country: self.country.clone(),
                unit: self.unit.clone(),
                municipality: self.municipality.clone(),
                week: iso_week(self.submitted_at),
                month: self.submitted_at.format("%Y-%m").to_string(),
            },
            in_charge: time(self.in_charge_at),
            end: time(self.ended_at),
            reached: self.reached,
        }
    }
}

/// The summary rows (counts and time histograms per cell) of a set of contributions.
pub fn cells<'a>(contributions: impl IntoIterator<Item = &'a Contribution>) -> Vec<BaseRow> {
    let mut rows: BTreeMap<&Key, BaseRow> = BTreeMap::new();
    for c in contributions {
        let row = rows.entry(&c.key).or_insert_with(|| BaseRow {
            key: c.key.clone(),
            counts: [0; 4],
            times: Default::default(),
        });
        row.counts[0] += 1;
        for (count, reached) in row.counts[1..].iter_mut().zip(c.reached) {
            *count += u64::from(reached);
        }
        for (histogram, b) in row.times.iter_mut().zip([c.in_charge, c.end]) {
            if let Some(b) = b {
                *histogram.entry(b).or_default() += 1;
            }
        }
    }
    rows.into_values().collect()
}

/// The summary rows of a set of filings: counts and time histograms (bucketed) by
/// procedure, country, unit, municipality, ISO week and month (a week across two months
/// is split between them).
pub fn summarise(facts: &[Fact]) -> Vec<BaseRow> {
    let contributions: Vec<Contribution> = facts.iter().map(Fact::contribution).collect();
    cells(&contributions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn histogram(values: &[u64]) -> Histogram {
        let mut h = Histogram::new();
        for v in values {
            *h.entry(*v).or_default() += 1;
        }
        h
    }

    #[test]
    fn percentiles_are_by_nearest_rank() {
        let h = histogram(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(percentile(&h, 50), Some(5));
        assert_eq!(percentile(&h, 90), Some(9));
        let h = histogram(&[7, 1, 3]);
        assert_eq!(percentile(&h, 50), Some(3));
        assert_eq!(percentile(&h, 90), Some(7));
        assert_eq!(percentile(&histogram(&[4]), 90), Some(4));
        assert_eq!(percentile(&Histogram::new(), 50), None);
    }

    #[test]
    fn buckets_are_exact_below_32_hours_then_16_per_doubling() {
        for h in 0..32 {
            assert_eq!(bucket(h), h);
        }
        assert_eq!(bucket(32), 32);
        assert_eq!(bucket(33), 32);
        assert_eq!(bucket(34), 34);
        assert_eq!(bucket(70), 68);
        assert_eq!(bucket(127), 124);
        assert_eq!(bucket(128), 128);
        assert_eq!(bucket(135), 128);
        assert_eq!(bucket(136), 136);
        assert_eq!(bucket(8_760), 8_704);
        // At most 16 buckets per doubling, and the stated error bound, everywhere.
        let mut seen = std::collections::BTreeSet::new();
        for h in 0..(1u64 << 14) {
            let b = bucket(h);
            assert!(b <= h && (h - b) as f64 <= RELATIVE_ERROR * h as f64, "{h}");
            assert_eq!(bucket(b), b, "a bucket is its own lower bound");
            seen.insert(b);
        }
        assert_eq!(seen.len() as u64, 32 + 9 * BUCKETS_PER_DOUBLING);
    }

    #[test]
    fn slots_follow_the_buckets_one_by_one() {
        let mut last = None;
        for h in 0..(1u64 << 16) {
            let b = bucket(h);
            let i = slot(b).expect("a bucket has a slot");
            match last {
                Some((lb, li)) if lb == b => assert_eq!(li, i),
                Some((_, li)) => assert_eq!(i, li + 1, "{b}: the next slot"),
                None => assert_eq!(i, 0),
            }
            last = Some((b, i));
        }
        // The last slot of all: 32 exact, then 16 for each of the 58 doublings.
        assert_eq!(slot(bucket(u64::MAX)), Some(975));
        assert_eq!(slot(bucket(u64::MAX - (1 << 59))), Some(974));
        assert_eq!(slot(33), None, "33 is not a bucket's lower bound");
    }

    #[test]
    fn a_sum_of_histograms_is_their_merge() {
        let mut sum = HistogramSum::default();
        let mut expected = Histogram::new();
        for (b, n) in [
            (40, 2),
            (0, 1),
            (33, 5),
            (40, 1),
            (8_704, 3),
            (33, 1),
            (0, 0),
        ] {
            sum.add(b, n);
            if n > 0 {
                *expected.entry(b).or_default() += n;
            }
        }
        let pairs: Vec<(u64, u64)> = expected.into_iter().collect();
        assert_eq!(sum.pairs(), pairs);
        assert_eq!(HistogramSum::default().pairs(), []);
    }

    #[test]
    fn buckets_are_hdrhistograms_at_one_significant_digit() {
        let h = hdrhistogram::Histogram::<u64>::new(1).expect("a histogram");
        for hours in (0..5_000).chain([8_760, 17_520, 100_000]) {
            assert_eq!(bucket(hours), h.lowest_equivalent(hours), "{hours}");
        }
    }

    proptest::proptest! {
        #[test]
        fn bucketed_percentiles_are_the_buckets_of_the_exact_ones(
            values in proptest::collection::vec(0u64..20_000, 1..300),
        ) {
            let exact = histogram(&values);
            let bucketed = histogram(&values.iter().map(|v| bucket(*v)).collect::<Vec<_>>());
            for p in [50, 90] {
                let e = percentile(&exact, p).unwrap_or_default();
                let b = percentile(&bucketed, p).unwrap_or_default();
                proptest::prop_assert_eq!(b, bucket(e));
                proptest::prop_assert!(b <= e && (e - b) as f64 <= RELATIVE_ERROR * e as f64);
            }
        }
    }

    #[test]
    fn histograms_are_stored_as_text_and_merged() {
        let h = histogram(&[0, 3, 3, 40]);
        assert_eq!(encode(&h), "0:1,3:2,40:1");
        assert_eq!(encode(&Histogram::new()), "");
        let mut merged = Histogram::new();
        assert!(merge_encoded(&mut merged, "0:1,3:2,40:1,,3:1"));
        assert_eq!(merged, histogram(&[0, 3, 3, 3, 40]));
        assert!(!merge_encoded(&mut merged, "x:1,5:1"));
        assert_eq!(merged.get(&5), Some(&1));
    }

    #[test]
    fn a_time_from_fewer_than_k_filings_is_suppressed() {
        let pairs = |h: Histogram| h.into_iter().collect::<Vec<_>>();
        let few = pairs(histogram(&[1, 2]));
        let enough = pairs(histogram(&[1, 2, 3]));
        assert_eq!(
            times_of([Percentiles::of(&few), Percentiles::of(&enough)], 3),
            [
                Time::Suppressed,
                Time::Suppressed,
                Time::Hours(2),
                Time::Hours(3)
            ]
        );
        assert_eq!(times_of(Default::default(), 3), [Time::None; 4]);
        // A bucket repeated (adjacent pairs) counts as one.
        assert_eq!(
            Percentiles::of(&[(1, 1), (2, 1), (2, 2), (9, 1)]),
            Percentiles::of(&[(1, 1), (2, 3), (9, 1)])
        );
    }

    #[test]
    fn shares_are_suppressed_when_a_part_is_small() {
        assert_eq!(share_of(30, 10, 10), Share::Value(0.75));
        assert_eq!(share_of(30, 9, 10), Share::Suppressed);
        assert_eq!(share_of(9, 30, 10), Share::Suppressed);
        assert_eq!(share_of(0, 30, 10), Share::Value(0.0));
        assert_eq!(share_of(0, 0, 10), Share::None);
    }

    #[test]
    fn regions_come_from_the_municipality_code() {
        assert_eq!(region_of("BE-21004"), "BE-BRU");
        assert_eq!(region_of("BE-25121"), "BE-WAL");
        assert_eq!(region_of("BE-24062"), "BE-VLG");
        assert_eq!(region_of("BE-11001"), "BE-VLG");
        assert_eq!(region_of("BE-62063"), "BE-WAL");
        assert_eq!(region_of("FR-59350"), "FR-HDF");
        assert_eq!(region_of("FR-33063"), "FR-NAQ");
        assert_eq!(region_of("FR-75056"), "FR-IDF");
        assert_eq!(region_of("FR-2A004"), "FR-20R");
        assert_eq!(region_of("ES-CT-08019"), "ES-CT");
        assert_eq!(region_of("LU-wahl"), "LU");
        assert_eq!(region_of(""), "unknown");
        let departments: usize = FRENCH_REGIONS.iter().map(|(_, d)| d.len()).sum();
        assert_eq!(departments, 96);
    }

    #[test]
    fn weeks_are_iso_weeks() {
        let at = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap();
        assert_eq!(iso_week(at(2026, 1, 1)), "2026-W01");
        assert_eq!(iso_week(at(2027, 1, 1)), "2026-W53");
        assert_eq!(iso_week(at(2025, 12, 29)), "2026-W01");
    }

    #[test]
    fn summarising_counts_and_buckets_the_times() {
        let at = |d, h| Utc.with_ymd_and_hms(2026, 3, d, h, 30, 0).unwrap();
        let fact = |d, in_charge: Option<DateTime<Utc>>| Fact {
            procedure: "p".into(),
            country: "BE".into(),
            unit: "u".into(),
            municipality: "BE-21004".into(),
            submitted_at: at(d, 8),
            in_charge_at: in_charge,
            ended_at: None,
            reached: [in_charge.is_some(), false, false],
        };
        let rows = summarise(&[fact(2, Some(at(2, 10))), fact(3, None)]);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].counts, [2, 1, 0, 0]);
        assert_eq!(rows[0].key.week, "2026-W10");
        assert_eq!(rows[0].times[0], histogram(&[2]));
        assert!(rows[0].times[1].is_empty());
        // 100 hours (2026-03-02 08:30 to 2026-03-06 12:30) is in the bucket [100, 104).
        let late = summarise(&[fact(2, Some(at(6, 12)))]);
        assert_eq!(late[0].times[0], histogram(&[100]));
    }
}
