//! The load generator of the benchmark suite (`bench/README.md`).
//!
//! Closed-loop clients (each sends its next request when the previous one is answered),
//! or paced clients with `--rate`, where latency counts from the request's scheduled
//! start so that a server falling behind is not hidden (no coordinated omission).
//! Every request body and every `Idempotency-Key` is unique, except the ones resent on
//! purpose with `--resend`. Prints one JSON object on stdout.

use clap::{Parser, ValueEnum};
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// Create a draft, then submit it (two requests per submission).
    Submit,
    /// A citizen reads one of their filings.
    GetFiling,
    /// The public catalogue.
    Procedures,
    /// An officer reads a page of 50 of a unit's queue, oldest first, one status.
    Queue,
}

#[derive(Debug, Parser)]
#[command(about = "Load generator for the e-commissariat benchmarks")]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:18080")]
    base_url: String,
    #[arg(long, value_enum)]
    scenario: Scenario,
    /// Concurrent clients (connections).
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Measured duration in seconds (after the warm-up).
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Warm-up seconds, not measured.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Pace all clients together at this many operations per second (an operation is a
    /// submission, create + submit, in the submit scenario). Without it, closed loop.
    #[arg(long)]
    rate: Option<f64>,
    /// Resend every n-th submission's two requests with the same Idempotency-Keys and
    /// bodies (10 → 10 %); the answers must be replays of the first ones.
    #[arg(long)]
    resend_every: Option<u64>,
    /// For `queue`: the unit whose queue is read.
    #[arg(long, default_value = "pz-antwerpen")]
    unit: String,
    /// For `queue`: the status filter.
    #[arg(long, default_value = "submitted")]
    status: String,
    /// A label copied into the output.
    #[arg(long, default_value = "")]
    label: String,
    /// Distinct citizens whose tokens the clients share.
    #[arg(long, default_value_t = 256)]
    citizens: usize,
}

#[derive(Default)]
struct Stats {
    /// Latency per request kind, in microseconds.
    latency: BTreeMap<&'static str, Histogram<u64>>,
    /// Operation (submission, or a single read) latency, in microseconds.
    operations: Option<Histogram<u64>>,
    status_2xx: u64,
    status_4xx: u64,
    status_5xx: u64,
    transport_errors: u64,
    /// Distinct filings whose submit answered 2xx (first answers, not replays).
    submitted: u64,
    replays_ok: u64,
    replays_wrong: u64,
    other_statuses: BTreeMap<u16, u64>,
}

fn histogram() -> Histogram<u64> {
    // 1 µs to 60 s, 3 significant digits.
    Histogram::new_with_bounds(1, 60_000_000, 3).unwrap_or_else(|_| Histogram::new(3).unwrap())
}

impl Stats {
    fn record(&mut self, kind: &'static str, micros: u64, status: Option<u16>) {
        let _ = self
            .latency
            .entry(kind)
            .or_insert_with(histogram)
            .record(micros.max(1));
        match status {
            Some(s) if (200..300).contains(&s) => self.status_2xx += 1,
            Some(s) if (400..500).contains(&s) => {
                self.status_4xx += 1;
                *self.other_statuses.entry(s).or_default() += 1;
            }
            Some(s) if s >= 500 => {
                self.status_5xx += 1;
                *self.other_statuses.entry(s).or_default() += 1;
            }
            Some(s) => *self.other_statuses.entry(s).or_default() += 1,
            None => self.transport_errors += 1,
        }
    }
}

struct Shared {
    args: Args,
    client: reqwest::Client,
    tokens: Vec<String>,
    officer: Option<String>,
    /// Filings to read in the get-filing scenario: (token index, id).
    filings: Vec<(usize, String)>,
    measuring: std::sync::atomic::AtomicBool,
    stats: Mutex<Stats>,
    /// Over the whole run, warm-up included: for the check against the database.
    all_submitted: AtomicU64,
    /// Drafts created (201 to a first create, not to a resent one).
    all_created: AtomicU64,
    all_5xx: AtomicU64,
}

fn draft(run: &str, n: u64) -> Value {
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    // Spread over Belgium's zones: a few real places, all routed to a local zone.
    const PLACES: [(f64, f64); 6] = [
        (50.6730, 4.5687), // Ottignies
        (50.8798, 4.7005), // Leuven
        (51.2194, 4.4025), // Antwerp
        (51.0543, 3.7174), // Ghent
        (50.6326, 5.5797), // Liège
        (50.4542, 3.9523), // Mons
    ];
    let (lat, lon) = PLACES[(n % PLACES.len() as u64) as usize];
    json!({
        "procedure": "bicycle_theft", "country": "BE",
        "place": {"lat": lat, "lon": lon, "description": format!("Rack {n}")},
        "facts_date": {"from": yesterday},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false,
                    "violence": false, "exploitable_traces": false},
        "facts": {"bicycle_locked": true,
                  "circumstances": format!("Load run {run}, bicycle {n} gone from the rack."),
                  "items": [{"category": "bicycle", "brand": "Gazelle",
                             "serial_number": format!("GZ{n:010}"), "colour": "blue"}]},
        "contact": {"email": format!("citizen{n}@example.org")}, "confirmation_channel": "email"
    })
}

async fn send(
    shared: &Shared,
    kind: &'static str,
    request: reqwest::RequestBuilder,
) -> (Option<u16>, Option<reqwest::Response>, u64) {
    let started = Instant::now();
    let outcome = request.send().await;
    let (status, response) = match outcome {
        Ok(response) => (Some(response.status().as_u16()), Some(response)),
        Err(_) => (None, None),
    };
    let micros = started.elapsed().as_micros() as u64;
    if status.is_some_and(|s| s >= 500) {
        shared.all_5xx.fetch_add(1, Ordering::Relaxed);
    }
    if shared.measuring.load(Ordering::Relaxed) {
        shared.stats.lock().await.record(kind, micros, status);
    }
    (status, response, micros)
}

async fn json_of(response: Option<reqwest::Response>) -> Value {
    match response {
        Some(r) => r.json().await.unwrap_or(Value::Null),
        None => Value::Null,
    }
}

/// One submission: create + submit, and sometimes both again with the same keys.
async fn submission(shared: &Shared, client_no: usize, n: u64, run: &str) {
    let token = &shared.tokens[(client_no + n as usize) % shared.tokens.len()];
    let body = draft(run, n);
    let create_key = format!("{run}-c-{client_no}-{n}");
    let create = || {
        shared
            .client
            .post(format!("{}/v1/filings", shared.args.base_url))
            .bearer_auth(token)
            .header("idempotency-key", &create_key)
            .json(&body)
    };
    let (status, response, _) = send(shared, "create", create()).await;
    if status != Some(201) {
        return;
    }
    shared.all_created.fetch_add(1, Ordering::Relaxed);
    let created = json_of(response).await;
    let Some(id) = created["id"].as_str().map(str::to_owned) else {
        return;
    };
    let submit_key = format!("{run}-s-{client_no}-{n}");
    let submit = || {
        shared
            .client
            .post(format!("{}/v1/filings/{id}/submit", shared.args.base_url))
            .bearer_auth(token)
            .header("idempotency-key", &submit_key)
    };
    let (status, response, _) = send(shared, "submit", submit()).await;
    let measuring = shared.measuring.load(Ordering::Relaxed);
    if status == Some(200) {
        shared.all_submitted.fetch_add(1, Ordering::Relaxed);
    }
    if status == Some(200) && measuring {
        shared.stats.lock().await.submitted += 1;
    }
    let reference = json_of(response).await["reference"].clone();
    if let Some(every) = shared.args.resend_every {
        if n.is_multiple_of(every) {
            let (_, again, _) = send(shared, "create (resent)", create()).await;
            let again_id = json_of(again).await["id"].clone();
            let (_, again, _) = send(shared, "submit (resent)", submit()).await;
            let again_reference = json_of(again).await["reference"].clone();
            if measuring {
                let mut stats = shared.stats.lock().await;
                if again_id.as_str() == Some(id.as_str()) && again_reference == reference {
                    stats.replays_ok += 1;
                } else {
                    stats.replays_wrong += 1;
                }
            }
        }
    }
}

async fn read(shared: &Shared, client_no: usize, n: u64) {
    let base = &shared.args.base_url;
    match shared.args.scenario {
        Scenario::Procedures => {
            let request = shared.client.get(format!("{base}/v1/procedures"));
            let (_, response, _) = send(shared, "GET /v1/procedures", request).await;
            let _ = json_of(response).await;
        }
        Scenario::GetFiling => {
            let (token, id) =
                &shared.filings[(client_no * 7919 + n as usize) % shared.filings.len()];
            let request = shared
                .client
                .get(format!("{base}/v1/filings/{id}"))
                .bearer_auth(&shared.tokens[*token]);
            let (_, response, _) = send(shared, "GET /v1/filings/{id}", request).await;
            let _ = json_of(response).await;
        }
        Scenario::Queue => {
            let officer = shared.officer.as_deref().unwrap_or_default();
            let request = shared
                .client
                .get(format!(
                    "{base}/v1/units/{}/filings?status={}&limit=50",
                    shared.args.unit, shared.args.status
                ))
                .bearer_auth(officer);
            let (_, response, _) = send(shared, "GET /v1/units/{id}/filings", request).await;
            let _ = json_of(response).await;
        }
        Scenario::Submit => {}
    }
}

async fn token(client: &reqwest::Client, base: &str, body: Value) -> anyhow::Result<String> {
    let response = client
        .post(format!("{base}/dev/tokens"))
        .json(&body)
        .send()
        .await?
        .error_for_status()?;
    let body: Value = response.json().await?;
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no access_token in {body}"))
}

fn summary(h: &Histogram<u64>, seconds: f64) -> Value {
    let ms = |q: f64| (h.value_at_quantile(q) as f64 / 1000.0 * 100.0).round() / 100.0;
    json!({
        "count": h.len(),
        "per_second": ((h.len() as f64 / seconds) * 10.0).round() / 10.0,
        "p50_ms": ms(0.5), "p95_ms": ms(0.95), "p99_ms": ms(0.99),
        "max_ms": (h.max() as f64 / 10.0).round() / 100.0,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients.max(1))
        .timeout(Duration::from_secs(30))
        .build()?;
    let base = args.base_url.clone();
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let mut tokens = Vec::new();
    for i in 0..args.citizens.max(1) {
        tokens.push(
            token(
                &client,
                &base,
                json!({"kind": "citizen", "subject": format!("bench-{run}-{i}"), "assurance": "substantial"}),
            )
            .await?,
        );
    }
    let officer = match args.scenario {
        Scenario::Queue => Some(
            token(
                &client,
                &base,
                json!({"kind": "officer", "subject": format!("bench-officer-{run}"), "units": [args.unit]}),
            )
            .await?,
        ),
        _ => None,
    };
    let mut filings = Vec::new();
    if args.scenario == Scenario::GetFiling {
        for n in 0..200u64 {
            let t = n as usize % tokens.len();
            let response = client
                .post(format!("{base}/v1/filings"))
                .bearer_auth(&tokens[t])
                .json(&draft(&run, n))
                .send()
                .await?
                .error_for_status()?;
            let body: Value = response.json().await?;
            if let Some(id) = body["id"].as_str() {
                filings.push((t, id.to_owned()));
            }
        }
    }
    let shared = Arc::new(Shared {
        args,
        client,
        tokens,
        officer,
        filings,
        measuring: std::sync::atomic::AtomicBool::new(false),
        stats: Mutex::new(Stats {
            operations: Some(histogram()),
            ..Stats::default()
        }),
        all_submitted: AtomicU64::new(0),
        all_created: AtomicU64::new(0),
        all_5xx: AtomicU64::new(0),
    });
    let clients = shared.args.clients.max(1);
    let warmup = Duration::from_secs(shared.args.warmup);
    let measured = Duration::from_secs(shared.args.duration);
    let start = Instant::now();
    let end = start + warmup + measured;
    // Paced: each client owns every `clients`-th slot of a global schedule.
    let period = shared
        .args
        .rate
        .map(|r| Duration::from_secs_f64(clients as f64 / r.max(0.001)));
    let mut tasks = Vec::new();
    for client_no in 0..clients {
        let shared = shared.clone();
        let run = run.clone();
        tasks.push(tokio::spawn(async move {
            let offset = period.map(|p| p.mul_f64(client_no as f64 / clients as f64));
            let mut n = client_no as u64 * 1_000_000_000;
            let mut slot = 0u32;
            loop {
                let scheduled = match (period, offset) {
                    (Some(p), Some(o)) => start + o + p * slot,
                    _ => Instant::now(),
                };
                if scheduled >= end {
                    break;
                }
                tokio::time::sleep_until(scheduled.into()).await;
                slot += 1;
                if shared.args.scenario == Scenario::Submit {
                    submission(&shared, client_no, n, &run).await;
                } else {
                    read(&shared, client_no, n).await;
                }
                // The operation's latency counts from its scheduled start.
                let micros = scheduled.elapsed().as_micros() as u64;
                if shared.measuring.load(Ordering::Relaxed) {
                    if let Some(h) = shared.stats.lock().await.operations.as_mut() {
                        let _ = h.record(micros.max(1));
                    }
                }
                n += 1;
            }
        }));
    }
    tokio::time::sleep(warmup).await;
    shared.measuring.store(true, Ordering::Relaxed);
    let measure_start = Instant::now();
    tokio::time::sleep(measured).await;
    shared.measuring.store(false, Ordering::Relaxed);
    let seconds = measure_start.elapsed().as_secs_f64();
    for task in tasks {
        let _ = task.await;
    }
    let stats = shared.stats.lock().await;
    let mut requests = serde_json::Map::new();
    for (kind, h) in &stats.latency {
        requests.insert((*kind).to_owned(), summary(h, seconds));
    }
    let output = json!({
        "label": shared.args.label,
        "scenario": format!("{:?}", shared.args.scenario).to_lowercase(),
        "clients": clients,
        "rate": shared.args.rate,
        "seconds": (seconds * 100.0).round() / 100.0,
        "operations": stats.operations.as_ref().map(|h| summary(h, seconds)),
        "requests": requests,
        "status_2xx": stats.status_2xx,
        "status_4xx": stats.status_4xx,
        "status_5xx": stats.status_5xx,
        "transport_errors": stats.transport_errors,
        "other_statuses": stats.other_statuses.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "submitted": stats.submitted,
        "replays_ok": stats.replays_ok,
        "replays_wrong": stats.replays_wrong,
        "all_submitted": shared.all_submitted.load(Ordering::Relaxed),
        "all_created": shared.all_created.load(Ordering::Relaxed),
        "all_5xx": shared.all_5xx.load(Ordering::Relaxed),
        "run": run,
    });
    println!("{output}");
    Ok(())
}
