//! Routing benchmark: 100,000 random points over Belgium, resolved against the shipped
//! reference directory (the same code path as `GET /v1/jurisdiction`, without HTTP).
//! Points carry no accuracy (the documented 50 m default plus the 25 m data margin);
//! a second pass uses a 200 m accuracy (a poor phone fix).
//! Target: p99 at most 20 µs per point. Run: `cargo bench -p persistence --bench routing`.

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion};
use domain::catalogue::Competence;
use domain::directory::{Directory, Place, DEFAULT_ACCURACY_M};
use persistence::directory::{read_bundle, BundleFiles};
use std::hint::black_box;
use std::time::Instant;

/// A small deterministic generator (no dependency, same points on every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn points_over_belgium(directory: &Directory, count: usize) -> Vec<(f64, f64)> {
    let mut rng = Lcg(0x0ec0_2026);
    let mut points = Vec::with_capacity(count);
    while points.len() < count {
        let lat = 49.49 + rng.next() * (51.51 - 49.49);
        let lon = 2.54 + rng.next() * (6.41 - 2.54);
        // Keep the points that fall inside a Belgian municipality.
        if directory
            .locate(lat, lon)
            .first()
            .is_some_and(|(id, d)| *d == 0.0 && id.as_str().starts_with("BE-"))
        {
            points.push((lat, lon));
        }
    }
    points
}

fn routing(c: &mut Criterion) {
    // Start-up cost of the embedded directory: parsing the bundle, then indexing it.
    let started = Instant::now();
    let bundle = match read_bundle(BundleFiles::embedded()) {
        Ok(bundle) => bundle,
        Err(errors) => panic!("the embedded bundle does not read: {:?}", errors.first()),
    };
    let parsed = started.elapsed();
    let started = Instant::now();
    let directory = Directory::new(bundle.data, DEFAULT_ACCURACY_M);
    println!(
        "embedded directory: parsed in {:.0} ms, indexed in {:.0} ms",
        parsed.as_secs_f64() * 1e3,
        started.elapsed().as_secs_f64() * 1e3
    );
    let points = points_over_belgium(&directory, 100_000);
    let date = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default();
    let route_with = |(lat, lon): (f64, f64), accuracy_m: Option<f64>| {
        let place = Place {
            point: Some((lat, lon)),
            accuracy_m,
            ..Place::default()
        };
        directory.route(&Competence::Local, &place, date)
    };
    let route = |p: (f64, f64)| route_with(p, None);

    // One pass over all 100,000 points, timed point by point, for the median and tail.
    for accuracy in [None, Some(200.0)] {
        let mut times: Vec<f64> = points
            .iter()
            .map(|p| {
                let started = Instant::now();
                let _ = black_box(route_with(*p, accuracy));
                started.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
        println!(
            "routing 100000 points over Belgium, accuracy {accuracy:?} m: median {:.2} µs, p90 {:.2} µs, p99 {:.2} µs, max {:.2} µs per point",
            at(0.5),
            at(0.9),
            at(0.99),
            times[times.len() - 1]
        );
    }

    let mut next = 0usize;
    c.bench_function("route one point over Belgium", |b| {
        b.iter(|| {
            next = (next + 1) % points.len();
            black_box(route(points[next]))
        })
    });
}

criterion_group!(benches, routing);
criterion_main!(benches);
