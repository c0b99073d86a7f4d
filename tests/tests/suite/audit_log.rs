//! The sealed audit log (issue 14): events sealed by the sealer into an RFC 9162 Merkle
//! log with signed checkpoints written to a witness; `audit verify` names every kind of
//! tampering; proofs checked by an independent verifier written here from RFC 9162's
//! definitions; access by scope.

use base64::Engine;
use diesel::connection::SimpleConnection;
use serde_json::{json, Value};
use std::process::Command;
use tests::{spawn_app, spawn_app_with, TestApp};

const ZONE: &str = "zp-ottignies-louvain-la-neuve";
const BIN: &str = env!("CARGO_BIN_EXE_ecommissariat-under-test");

async fn draft_and_submit(app: &TestApp, citizen: &str) -> String {
    let body = json!({
        "procedure": "bicycle_theft", "country": "BE", "place": {"municipality": "BE-25121"},
        "facts_date": {"from": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339()},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
        "facts": {"bicycle_locked": true, "circumstances": "Gone.", "items": [{"category": "bicycle"}]},
        "contact": {"email": "alice@example.org"}, "confirmation_channel": "email"
    });
    let created = app
        .client
        .post(app.url("/v1/filings"))
        .bearer_auth(citizen)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let submitted = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/submit")))
        .bearer_auth(citizen)
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 200);
    id
}

/// Some audited activity: `filings` filings created and submitted, each read once by an
/// officer of the zone (3 events per filing, plus one queue read).
async fn activity(app: &TestApp, filings: usize) -> Vec<String> {
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "alice"}))
        .await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}))
        .await;
    let mut ids = Vec::new();
    for _ in 0..filings {
        let id = draft_and_submit(app, &citizen).await;
        let read = app
            .client
            .get(app.url(&format!("/v1/units/{ZONE}/filings/{id}")))
            .bearer_auth(&officer)
            .send()
            .await
            .unwrap();
        assert_eq!(read.status(), 200);
        ids.push(id);
    }
    let queue = app
        .client
        .get(app.url(&format!("/v1/units/{ZONE}/filings")))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(queue.status(), 200);
    ids
}

/// `ecommissariat audit verify` on the test's database and data folder (its key and
/// witness): (success, stdout, stderr).
fn verify(app: &TestApp, extra: &[&str]) -> (bool, String, String) {
    let output = Command::new(BIN)
        .args(["audit", "verify"])
        .args(extra)
        .env("DATABASE_URL", app.db.url())
        .env("ECOM__DATABASE__DATA_DIR", app.data_dir())
        .env_remove("ECOM_CONFIG")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A direct connection, as a database administrator (or an attacker with the
/// application's credentials) has, with the append-only triggers out of the way.
fn attacker(app: &TestApp) -> persistence::DbConnection {
    let url = persistence::DatabaseUrl::parse(&app.db.url()).unwrap();
    let mut conn =
        persistence::db::connect_once(&url, &persistence::PoolOptions::default()).unwrap();
    if app.db.is_postgres() {
        conn.batch_execute(
            "ALTER TABLE audit_events DISABLE TRIGGER USER;
             ALTER TABLE audit_log DISABLE TRIGGER USER;
             ALTER TABLE audit_nodes DISABLE TRIGGER USER;
             ALTER TABLE audit_checkpoints DISABLE TRIGGER USER;",
        )
        .unwrap();
    } else {
        for table in [
            "audit_events",
            "audit_log",
            "audit_nodes",
            "audit_checkpoints",
        ] {
            conn.batch_execute(&format!(
                "DROP TRIGGER IF EXISTS {table}_no_update; DROP TRIGGER IF EXISTS {table}_no_delete;"
            ))
            .unwrap();
        }
    }
    conn
}

/// (log index, event id) of every sealed event, in order.
fn sealed(app: &TestApp) -> Vec<(u64, i64)> {
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    persistence::auditlog::entries(&mut conn, 0, 100_000)
        .unwrap()
        .into_iter()
        .map(|e| (e.log_index, e.event_id))
        .collect()
}

/// A service with some sealed activity, verified intact first.
async fn sealed_app() -> (TestApp, Vec<(u64, i64)>) {
    let app = spawn_app().await;
    activity(&app, 3).await;
    app.wait_sealed().await;
    let log = sealed(&app);
    assert_eq!(log.len(), 10, "3 × (create, submit, read) + a queue read");
    let (ok, out, err) = verify(&app, &[]);
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains("audit log intact: 10 sealed event(s)"),
        "{out}"
    );
    (app, log)
}

fn assert_names(stderr: &str, expected: &str) {
    assert!(
        stderr.contains(expected),
        "expected `{expected}` in:\n{stderr}"
    );
}

#[tokio::test]
async fn every_committed_event_is_sealed_once_in_order_with_a_witnessed_checkpoint() {
    let app = spawn_app().await;
    activity(&app, 2).await;
    app.wait_sealed().await;
    let log = sealed(&app);
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    let events = persistence::audit::count(&mut conn).unwrap();
    assert_eq!(log.len() as i64, events);
    assert!(log
        .iter()
        .enumerate()
        .all(|(i, (index, _))| *index == i as u64));
    let latest = persistence::auditlog::latest_checkpoint(&mut conn)
        .unwrap()
        .unwrap();
    assert_eq!(latest.tree_size, log.len() as u64);
    let witnessed = api::auditlog::witness::latest(&app.data_dir().join("audit-witness"))
        .unwrap()
        .unwrap();
    assert_eq!(witnessed, latest);
    // Each event names its action and carries the client id of the token.
    let events = persistence::audit::list(&mut conn, &Default::default(), 100).unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.event.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "create_draft",
            "submit",
            "view_filing",
            "create_draft",
            "submit",
            "view_filing",
            "list_queue"
        ]
    );
    assert!(events
        .iter()
        .all(|e| e.event.actor.client_id.as_deref() == Some("dev-client")));
}

#[tokio::test]
async fn an_altered_event_is_named() {
    let (app, log) = sealed_app().await;
    let (index, id) = log[4];
    attacker(&app)
        .batch_execute(&format!(
            "UPDATE audit_events SET actor_id = 'someone-else' WHERE id = {id}"
        ))
        .unwrap();
    let (ok, _, err) = verify(&app, &[]);
    assert!(!ok);
    assert_names(
        &err,
        &format!("event {id}, sealed at position {index}, was altered"),
    );
}

#[tokio::test]
async fn a_deleted_event_is_named() {
    let (app, log) = sealed_app().await;
    let (index, id) = log[2];
    attacker(&app)
        .batch_execute(&format!("DELETE FROM audit_events WHERE id = {id}"))
        .unwrap();
    let (ok, _, err) = verify(&app, &[]);
    assert!(!ok);
    assert_names(
        &err,
        &format!("event {id}, sealed at position {index}, was deleted"),
    );

    // Deleting its place in the log too leaves a hole.
    let (index, id) = log[6];
    attacker(&app)
        .batch_execute(&format!(
            "DELETE FROM audit_events WHERE id = {id}; DELETE FROM audit_log WHERE log_index = {index};"
        ))
        .unwrap();
    let (_, _, err) = verify(&app, &[]);
    assert_names(&err, &format!("position {index} of the log is missing"));
}

#[tokio::test]
async fn an_event_inserted_in_the_middle_is_found() {
    let (app, log) = sealed_app().await;
    let mut conn = attacker(&app);
    // A made-up consultation, given position 3, the later events moved up by one, its
    // leaf hashed the way the log does (the algorithm is public).
    let fake_id = log.iter().map(|l| l.1).max().unwrap() + 100;
    conn.batch_execute(&format!(
        "INSERT INTO audit_events (id, occurred_at, actor_id, actor_role, operation, object_type, outcome, prev_hash, hash, action)
         VALUES ({fake_id}, '2026-01-01 00:00:00', 'o-1', 'officer', 'consultation', 'unit_queue', 'allowed', '', '', 'list_queue');
         UPDATE audit_log SET log_index = -log_index - 1000000 WHERE log_index >= 3;
         UPDATE audit_log SET log_index = -log_index - 1000000 + 1 WHERE log_index < 0;"
    ))
    .unwrap();
    let entry = persistence::auditlog::event_entry(&mut conn, fake_id)
        .unwrap()
        .unwrap();
    let leaf = hex_of(&leaf_hash(&entry));
    conn.batch_execute(&format!(
        "INSERT INTO audit_log (log_index, event_id, leaf_hash) VALUES (3, {fake_id}, '{leaf}')"
    ))
    .unwrap();
    let (ok, _, err) = verify(&app, &[]);
    assert!(!ok);
    assert_names(&err, "1 event(s) were inserted into the log");
    assert_names(&err, "do not hash to the witness's signed root");
}

/// Rebuilds every stored node from the stored leaves, as someone without the signing key
/// would to hide a change, and stores an unsigned checkpoint of the new root.
fn recompute_everything(conn: &mut persistence::DbConnection, app: &TestApp) {
    let leaves: Vec<[u8; 32]> = {
        let entries = persistence::auditlog::entries(conn, 0, 100_000).unwrap();
        entries
            .iter()
            .map(|e| leaf_hash(e.entry.as_ref().unwrap()))
            .collect()
    };
    let mut sql = String::from("DELETE FROM audit_nodes; DELETE FROM audit_checkpoints;");
    for (i, leaf) in leaves.iter().enumerate() {
        sql.push_str(&format!(
            "UPDATE audit_log SET leaf_hash = '{}' WHERE log_index = {i};",
            hex_of(leaf)
        ));
    }
    let mut level = 1u32;
    while (1usize << level) <= leaves.len() {
        for index in 0..(leaves.len() >> level) {
            let start = index << level;
            let hash = mth(&leaves[start..start + (1 << level)]);
            sql.push_str(&format!(
                "INSERT INTO audit_nodes (level, idx, hash) VALUES ({level}, {index}, '{}');",
                hex_of(&hash)
            ));
        }
        level += 1;
    }
    // The checkpoint is re-made with the old signature: the attacker cannot sign.
    let old = api::auditlog::witness::latest(&app.data_dir().join("audit-witness"))
        .unwrap()
        .unwrap();
    sql.push_str(&format!(
        "INSERT INTO audit_checkpoints (tree_size, root_hash, issued_at, key_id, signature)
         VALUES ({}, '{}', '{}', '{}', '{}');",
        leaves.len(),
        hex_of(&mth(&leaves)),
        old.issued_at.naive_utc(),
        old.key_id,
        old.signature
    ));
    conn.batch_execute(&sql).unwrap();
}

#[tokio::test]
async fn a_log_rewritten_with_every_hash_recomputed_is_caught_by_the_witness() {
    let (app, log) = sealed_app().await;
    let mut conn = attacker(&app);
    conn.batch_execute(&format!(
        "UPDATE audit_events SET outcome = 'denied' WHERE id = {}",
        log[1].1
    ))
    .unwrap();
    recompute_everything(&mut conn, &app);
    let (ok, _, err) = verify(&app, &[]);
    assert!(!ok);
    // Every leaf matches its event now, but not the signatures nor the witness.
    assert!(!err.contains("was altered"), "{err}");
    assert_names(
        &err,
        "the database's checkpoint of size 10 is not validly signed",
    );
    assert_names(&err, "differs from the witness's");
    // The first witnessed root that no longer matches (size 10, or an earlier batch's).
    assert_names(
        &err,
        "sealed events do not hash to the witness's signed root",
    );
}

#[tokio::test]
async fn a_truncation_of_sealed_events_is_named() {
    let (app, log) = sealed_app().await;
    let keep = 7usize;
    let gone: Vec<String> = log[keep..].iter().map(|l| l.1.to_string()).collect();
    attacker(&app)
        .batch_execute(&format!(
            "DELETE FROM audit_events WHERE id IN ({ids});
             DELETE FROM audit_log WHERE log_index >= {keep};
             DELETE FROM audit_checkpoints WHERE tree_size > {keep};",
            ids = gone.join(",")
        ))
        .unwrap();
    let (ok, _, err) = verify(&app, &[]);
    assert!(!ok);
    assert_names(
        &err,
        "truncated: 7 event(s) sealed, but a signed checkpoint covers 10: 3 sealed event(s) are missing",
    );
}

#[tokio::test]
async fn a_database_checkpoint_that_differs_from_the_witness_is_named() {
    let (app, _) = sealed_app().await;
    attacker(&app)
        .batch_execute(&format!(
            "UPDATE audit_checkpoints SET root_hash = '{}' WHERE tree_size = 10",
            "ab".repeat(32)
        ))
        .unwrap();
    let (ok, _, err) = verify(&app, &[]);
    assert!(!ok);
    assert_names(
        &err,
        "the database's checkpoint of size 10 differs from the witness's",
    );
}

#[tokio::test]
async fn the_running_service_checks_its_tail_and_raises_the_metric() {
    let app = spawn_app_with(|s| s.audit.check_interval_secs = 1).await;
    activity(&app, 1).await;
    app.wait_sealed().await;
    let metric = |text: &str, name: &str| -> Option<f64> {
        text.lines()
            .find(|l| l.starts_with(&format!("ecommissariat_{name} ")))
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|v| v.parse().ok())
    };
    // The gauges are set after each sealing round, so they may lag the database by
    // one round: wait for the round that follows the seal.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let metrics = loop {
        let metrics = app.get("/metrics").await.text().await.unwrap();
        if metric(&metrics, "audit_unsealed_events") == Some(0.0)
            || std::time::Instant::now() > deadline
        {
            break metrics;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(
        metric(&metrics, "audit_log_integrity_ok"),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(metric(&metrics, "audit_unsealed_events"), Some(0.0));
    assert!(metric(&metrics, "audit_oldest_unsealed_seconds").is_some());
    // The newest events are deleted, checkpoints and all, as if they never were.
    let log = sealed(&app);
    let last = log.last().unwrap();
    attacker(&app)
        .batch_execute(&format!(
            "DELETE FROM audit_events WHERE id = {id}; DELETE FROM audit_log WHERE log_index = {index};
             DELETE FROM audit_checkpoints WHERE tree_size > {index};",
            id = last.1,
            index = last.0
        ))
        .unwrap();
    // Checked every second; a loaded machine may take longer to get there.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let metrics = app.get("/metrics").await.text().await.unwrap();
        if metric(&metrics, "audit_log_integrity_ok") == Some(0.0) {
            assert!(metric(&metrics, "audit_log_check_failures_total").unwrap() >= 1.0);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not detected: {metrics}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

// ---- An independent verifier, written from RFC 9162 (sections 2.1.1, 2.1.3.2, 2.1.4.2),
// ---- using the test's own SHA-256 (not the product's Merkle code).

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn leaf_hash(entry: &[u8]) -> [u8; 32] {
    sha256(&[&[0u8], entry])
}

fn node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    sha256(&[&[1u8], left, right])
}

/// MTH(D[n]) of RFC 9162 2.1.1, by its recursive definition.
fn mth(leaves: &[[u8; 32]]) -> [u8; 32] {
    let n = leaves.len();
    if n == 0 {
        return sha256(&[]);
    }
    if n == 1 {
        return leaves[0];
    }
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    node(&mth(&leaves[..k]), &mth(&leaves[k..]))
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> [u8; 32] {
    let bytes: Vec<u8> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect();
    bytes.try_into().unwrap()
}

/// RFC 9162 2.1.3.2.
fn rfc_verify_inclusion(
    leaf_index: u64,
    tree_size: u64,
    leaf: [u8; 32],
    path: &[[u8; 32]],
    root: [u8; 32],
) -> bool {
    if leaf_index >= tree_size {
        return false;
    }
    let mut fnn = leaf_index;
    let mut snn = tree_size - 1;
    let mut r = leaf;
    for p in path {
        if snn == 0 {
            return false;
        }
        if fnn % 2 == 1 || fnn == snn {
            r = node(p, &r);
            while fnn.is_multiple_of(2) && fnn != 0 {
                fnn >>= 1;
                snn >>= 1;
            }
        } else {
            r = node(&r, p);
        }
        fnn >>= 1;
        snn >>= 1;
    }
    snn == 0 && r == root
}

/// RFC 9162 2.1.4.2.
fn rfc_verify_consistency(
    first: u64,
    second: u64,
    first_hash: [u8; 32],
    second_hash: [u8; 32],
    proof: &[[u8; 32]],
) -> bool {
    if first == second {
        return proof.is_empty() && first_hash == second_hash;
    }
    let mut path = proof.to_vec();
    if first.is_power_of_two() {
        path.insert(0, first_hash);
    }
    let mut fnn = first - 1;
    let mut snn = second - 1;
    while fnn % 2 == 1 {
        fnn >>= 1;
        snn >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if snn == 0 {
            return false;
        }
        if fnn % 2 == 1 || fnn == snn {
            fr = node(c, &fr);
            sr = node(c, &sr);
            while fnn.is_multiple_of(2) && fnn != 0 {
                fnn >>= 1;
                snn >>= 1;
            }
        } else {
            sr = node(&sr, c);
        }
        fnn >>= 1;
        snn >>= 1;
    }
    fr == first_hash && sr == second_hash && snn == 0
}

async fn get_json(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn checks_signature(checkpoint: &Value, keys: &Value) {
    use ed25519_dalek::Verifier;
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key_id"] == checkpoint["key_id"])
        .expect("the checkpoint's key is published");
    let public: [u8; 32] = b64
        .decode(key["public_key"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    // The signed text: origin, size, root, time; the time is the checkpoint's.
    let text = checkpoint["signed_text"].as_str().unwrap().to_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "ecommissariat-audit-log/v1");
    assert_eq!(lines[1], checkpoint["tree_size"].to_string());
    assert_eq!(lines[2], checkpoint["root_hash"].as_str().unwrap());
    let signed_at = chrono::DateTime::parse_from_rfc3339(lines[3]).unwrap();
    let issued_at =
        chrono::DateTime::parse_from_rfc3339(checkpoint["issued_at"].as_str().unwrap()).unwrap();
    assert_eq!(signed_at, issued_at);
    let signature: [u8; 64] = b64
        .decode(checkpoint["signature"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    ed25519_dalek::VerifyingKey::from_bytes(&public)
        .unwrap()
        .verify(
            text.as_bytes(),
            &ed25519_dalek::Signature::from_bytes(&signature),
        )
        .expect("the checkpoint's signature verifies");
}

#[tokio::test]
async fn inclusion_and_consistency_proofs_verify_independently_and_offline() {
    let app = spawn_app().await;
    activity(&app, 2).await;
    app.wait_sealed().await;
    let auditor = app
        .dev_token(json!({"kind": "officer", "subject": "dpo", "role": "auditor"}))
        .await;
    let keys: Value = app.get("/v1/audit-log/keys").await.json().await.unwrap();
    let (status, old) = get_json(&app, "/v1/audit-log/checkpoint", &auditor).await;
    assert_eq!(status, 200, "{old}");
    checks_signature(&old, &keys);
    let old_size = old["tree_size"].as_u64().unwrap();

    // More activity (the reads above are audited too), then proofs against the new head.
    activity(&app, 3).await;
    app.wait_sealed().await;
    let (_, new) = get_json(&app, "/v1/audit-log/checkpoint", &auditor).await;
    checks_signature(&new, &keys);
    let size = new["tree_size"].as_u64().unwrap();
    assert!(size > old_size + 5);
    let log = sealed(&app);
    let mut leaves = Vec::new();
    for (index, id) in log.iter().take(size as usize) {
        let (status, proof) = get_json(
            &app,
            &format!("/v1/audit-events/{id}/proof?tree_size={size}"),
            &auditor,
        )
        .await;
        assert_eq!(status, 200, "{proof}");
        assert_eq!(proof["leaf_index"].as_u64(), Some(*index));
        assert_eq!(proof["checkpoint"], new);
        let entry = base64::engine::general_purpose::STANDARD
            .decode(proof["leaf_entry"].as_str().unwrap())
            .unwrap();
        let leaf = leaf_hash(&entry);
        assert_eq!(proof["leaf_hash"].as_str().unwrap(), hex_of(&leaf));
        let path: Vec<[u8; 32]> = proof["audit_path"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| unhex(h.as_str().unwrap()))
            .collect();
        let root = unhex(new["root_hash"].as_str().unwrap());
        assert!(rfc_verify_inclusion(*index, size, leaf, &path, root));
        assert!(!rfc_verify_inclusion(
            *index,
            size,
            leaf_hash(b"forged"),
            &path,
            root
        ));
        leaves.push(leaf);
    }
    // The roots are the RFC's MTH of the leaves.
    assert_eq!(hex_of(&mth(&leaves)), new["root_hash"].as_str().unwrap());
    assert_eq!(
        hex_of(&mth(&leaves[..old_size as usize])),
        old["root_hash"].as_str().unwrap()
    );

    let (status, consistency) = get_json(
        &app,
        &format!("/v1/audit-log/consistency?from={old_size}&to={size}"),
        &auditor,
    )
    .await;
    assert_eq!(status, 200, "{consistency}");
    let proof: Vec<[u8; 32]> = consistency["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| unhex(h.as_str().unwrap()))
        .collect();
    let (first, second) = (
        unhex(old["root_hash"].as_str().unwrap()),
        unhex(new["root_hash"].as_str().unwrap()),
    );
    assert!(rfc_verify_consistency(
        old_size, size, first, second, &proof
    ));
    assert!(!rfc_verify_consistency(
        old_size, size, second, second, &proof
    ));

    // Offline, with the published key only.
    let dir = tempfile::tempdir().unwrap();
    let key = keys["keys"][0]["public_key"].as_str().unwrap();
    let (_, inclusion) = get_json(
        &app,
        &format!("/v1/audit-events/{}/proof", log[3].1),
        &auditor,
    )
    .await;
    for (name, document) in [("inclusion", &inclusion), ("consistency", &consistency)] {
        let file = dir.path().join(format!("{name}.json"));
        std::fs::write(&file, document.to_string()).unwrap();
        let output = Command::new(BIN)
            .args(["audit", "verify-proof"])
            .arg(&file)
            .args(["--public-key", key])
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        assert!(String::from_utf8_lossy(&output.stdout).contains(&format!("{name} proof valid")));
    }
    let mut forged = inclusion.clone();
    forged["leaf_entry"] = json!(base64::engine::general_purpose::STANDARD.encode(b"forged"));
    let file = dir.path().join("forged.json");
    std::fs::write(&file, forged.to_string()).unwrap();
    let output = Command::new(BIN)
        .args(["audit", "verify-proof"])
        .arg(&file)
        .args(["--public-key", key])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("inclusion proof invalid"));
}

#[tokio::test]
async fn supervisors_read_their_units_events_and_auditors_read_all() {
    let app = spawn_app().await;
    let ids = activity(&app, 1).await;
    let elsewhere = app
        .dev_token(json!({"kind": "officer", "subject": "o-7", "units": ["zp-wavre"]}))
        .await;
    // An officer of another unit reads their own queue.
    let response = app
        .client
        .get(app.url("/v1/units/zp-wavre/filings"))
        .bearer_auth(&elsewhere)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    app.wait_sealed().await;
    let supervisor = app
        .dev_token(
            json!({"kind": "officer", "subject": "s-1", "role": "supervisor", "units": [ZONE]}),
        )
        .await;
    let auditor = app
        .dev_token(json!({"kind": "officer", "subject": "dpo", "role": "auditor"}))
        .await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}))
        .await;
    let (status, page) = get_json(&app, "/v1/audit-events?limit=500", &supervisor).await;
    assert_eq!(status, 200, "{page}");
    let seen: Vec<(String, Option<String>)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["object_id"].as_str().map(str::to_owned),
            )
        })
        .collect();
    // The citizen's events on the zone's filing, the zone's officer's reads; not Wavre's.
    assert!(
        seen.contains(&("create_draft".into(), Some(ids[0].clone()))),
        "{seen:?}"
    );
    assert!(
        seen.contains(&("list_queue".into(), Some(ZONE.into()))),
        "{seen:?}"
    );
    assert!(
        !seen.iter().any(|(_, o)| o.as_deref() == Some("zp-wavre")),
        "{seen:?}"
    );
    let (_, all) = get_json(&app, "/v1/audit-events?limit=500", &auditor).await;
    assert!(all["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["object_id"] == "zp-wavre"));
    // A Wavre event's proof is not the zone's supervisor's to read.
    let namur = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["object_id"] == "zp-wavre")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, _) = get_json(
        &app,
        &format!("/v1/audit-events/{namur}/proof"),
        &supervisor,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = get_json(&app, "/v1/audit-events", &officer).await;
    assert_eq!(status, 403);
    let (status, _) = get_json(&app, "/v1/audit-log/checkpoint", &officer).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_storm_of_parallel_audited_requests_gives_a_complete_verifiable_log() {
    let app = spawn_app().await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}))
        .await;
    let before = {
        let pool = app.db.pool();
        let mut conn = pool.get().unwrap();
        persistence::audit::count(&mut conn).unwrap()
    };
    let (clients, each) = (16, 10);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, url, token) = (
            app.client.clone(),
            app.url(&format!("/v1/units/{ZONE}/filings")),
            officer.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut ok = 0;
            for _ in 0..each {
                let response = client.get(&url).bearer_auth(&token).send().await.unwrap();
                if response.status() == 200 {
                    ok += 1;
                }
            }
            ok
        }));
    }
    let mut operations = 0;
    for task in tasks {
        operations += task.await.unwrap();
    }
    assert_eq!(operations, clients * each);
    app.wait_sealed().await;
    let log = sealed(&app);
    assert_eq!(log.len() as i64, before + operations as i64);
    let mut ids: Vec<i64> = log.iter().map(|l| l.1).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), log.len(), "no event sealed twice");
    let (ok, out, err) = verify(&app, &[]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains(&format!("audit log intact: {} sealed event(s)", log.len())));
}

/// An instance of the real binary on the test's database, sharing `dir` (the development
/// IdP's key, the witness) and the audit signing key with its siblings.
struct Instance {
    child: std::process::Child,
    address: String,
}

impl Instance {
    fn start(db: &tests::TestDb, dir: &std::path::Path, seed: &str) -> Instance {
        use std::io::BufRead;
        let mut child = Command::new(BIN)
            .args(["--bind", "127.0.0.1:0"])
            .env("DATABASE_URL", db.url())
            .env("ECOM__DATABASE__DATA_DIR", dir)
            .env("ECOM__AUDIT__SIGNING_KEY", seed)
            .env("ECOM__AUDIT__SEAL_INTERVAL_MS", "200")
            .env("ECOM__LOG__FORMAT", "json")
            .env_remove("RUST_LOG")
            .env_remove("ECOM_CONFIG")
            .env_remove("ECOM__ENVIRONMENT")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let event: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
                if let Some(rest) = event["message"]
                    .as_str()
                    .and_then(|m| m.strip_prefix("listening on "))
                {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
                }
            }
        });
        let address = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the instance started");
        Instance { child, address }
    }

    async fn metric(&self, client: &reqwest::Client, name: &str) -> Option<f64> {
        let text = client
            .get(format!("{}/metrics", self.address))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        text.lines()
            .find(|l| l.starts_with(&format!("ecommissariat_{name} ")))
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|v| v.parse().ok())
    }

    async fn read_queue(&self, client: &reqwest::Client, token: &str, times: usize) {
        for _ in 0..times {
            let response = client
                .get(format!("{}/v1/units/{ZONE}/filings", self.address))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pending(db: &tests::TestDb) -> i64 {
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    persistence::auditlog::pending_count(&mut conn).unwrap()
}

/// PostgreSQL only: two instances, one sealer; `kill -9` the sealer, the other seals
/// within the interval; nothing sealed twice or skipped.
#[tokio::test]
async fn two_instances_have_one_sealer_and_the_other_takes_over_after_kill_9() {
    let db = tests::TestDb::new();
    if !db.is_postgres() {
        return; // One process per SQLite file: nothing to elect.
    }
    let dir = tempfile::tempdir().unwrap();
    let seed = base64::engine::general_purpose::STANDARD.encode([42u8; 32]);
    let first = Instance::start(&db, dir.path(), &seed);
    let second = Instance::start(&db, dir.path(), &seed);
    let client = reqwest::Client::new();
    let token: String = client
        .post(format!("{}/dev/tokens", first.address))
        .json(&json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    // Exactly one leads.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let (leader, follower) = loop {
        let a = first.metric(&client, "audit_sealer_leader").await;
        let b = second.metric(&client, "audit_sealer_leader").await;
        match (a, b) {
            (Some(a), Some(b)) if a + b == 1.0 => {
                break if a == 1.0 {
                    (first, second)
                } else {
                    (second, first)
                }
            }
            (Some(a), Some(b)) => assert!(a + b <= 1.0, "two sealers at once"),
            _ => {}
        }
        assert!(std::time::Instant::now() < deadline, "no sealer elected");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    leader.read_queue(&client, &token, 10).await;
    follower.read_queue(&client, &token, 10).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while pending(&db) > 0 {
        assert!(std::time::Instant::now() < deadline, "not sealed");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // kill -9 the sealer, then audited activity on the survivor.
    drop(leader);
    let killed = std::time::Instant::now();
    follower.read_queue(&client, &token, 10).await;
    while pending(&db) > 0 {
        assert!(
            killed.elapsed() < std::time::Duration::from_secs(10),
            "the survivor did not take over"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let takeover = killed.elapsed();
    eprintln!("sealed by the survivor {takeover:?} after kill -9 (interval 200 ms)");
    assert!(takeover < std::time::Duration::from_secs(2), "{takeover:?}");
    assert_eq!(
        follower.metric(&client, "audit_sealer_leader").await,
        Some(1.0)
    );

    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let log = persistence::auditlog::entries(&mut conn, 0, 100_000).unwrap();
    assert_eq!(
        log.len() as i64,
        persistence::audit::count(&mut conn).unwrap()
    );
    assert!(log.iter().enumerate().all(|(i, e)| e.log_index == i as u64));
    let mut ids: Vec<i64> = log.iter().map(|e| e.event_id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), log.len(), "nothing sealed twice");
    let output = Command::new(BIN)
        .args(["audit", "verify"])
        .env("DATABASE_URL", db.url())
        .env("ECOM__DATABASE__DATA_DIR", dir.path())
        .env("ECOM__AUDIT__SIGNING_KEY", &seed)
        .env_remove("ECOM_CONFIG")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
}

/// The database as it was before the audit log: every migration older than it.
fn legacy_schema(db: &tests::TestDb) {
    use diesel::Connection;
    use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
    const PG: EmbeddedMigrations =
        diesel_migrations::embed_migrations!("../persistence/migrations/postgres");
    const SQLITE: EmbeddedMigrations =
        diesel_migrations::embed_migrations!("../persistence/migrations/sqlite");
    fn before_the_log<C: MigrationHarness<B>, B: diesel::backend::Backend>(
        conn: &mut C,
        source: EmbeddedMigrations,
    ) {
        for migration in conn.pending_migrations(source).unwrap() {
            if migration
                .name()
                .version()
                .to_string()
                .replace('-', "")
                .as_str()
                < "20261201020001"
            {
                conn.run_migration(&migration).unwrap();
            }
        }
    }
    if db.is_postgres() {
        let mut conn = diesel::PgConnection::establish(&db.url()).unwrap();
        before_the_log(&mut conn, PG);
    } else {
        let path = db.url().trim_start_matches("sqlite://").to_owned();
        let mut conn = diesel::SqliteConnection::establish(&path).unwrap();
        before_the_log(&mut conn, SQLITE);
    }
}

/// The hash of the former chain, rewritten here from its definition: SHA-256 over the
/// previous hash and the fields, each as `1` + value or `0`, then 0x1f.
fn legacy_hash(prev: &str, fields: &[Option<&str>]) -> String {
    let mut bytes = Vec::new();
    for field in std::iter::once(Some(prev)).chain(fields.iter().copied()) {
        match field {
            Some(v) => {
                bytes.push(b'1');
                bytes.extend_from_slice(v.as_bytes());
            }
            None => bytes.push(b'0'),
        }
        bytes.push(0x1f);
    }
    hex_of(&sha256(&[&bytes]))
}

#[tokio::test]
async fn the_hash_chain_events_are_carried_into_the_log_and_their_chain_still_checked() {
    let db = tests::TestDb::new();
    legacy_schema(&db);
    {
        let url = persistence::DatabaseUrl::parse(&db.url()).unwrap();
        let mut conn =
            persistence::db::ConnectionManager::new(url, std::time::Duration::from_secs(5))
                .open()
                .unwrap();
        let mut prev = String::new();
        for i in 1..=3 {
            let at = format!("2026-11-20T10:00:0{i}.000000");
            let object = format!("f-{i}");
            let hash = legacy_hash(
                &prev,
                &[
                    Some(&at),
                    Some("o-1"),
                    Some("officer"),
                    Some(ZONE),
                    None,
                    Some("consultation"),
                    Some("filing"),
                    Some(&object),
                    None,
                    None,
                    Some("allowed"),
                    None,
                ],
            );
            conn.batch_execute(&format!(
                "INSERT INTO audit_events (occurred_at, actor_id, actor_role, actor_unit, operation, object_type, object_id, outcome, prev_hash, hash)
                 VALUES ('2026-11-20 10:00:0{i}', 'o-1', 'officer', '{ZONE}', 'consultation', 'filing', '{object}', 'allowed', '{prev}', '{hash}')"
            ))
            .unwrap();
            prev = hash;
        }
    }
    let app = tests::spawn_app_on(db, |_| {}).await;
    app.wait_sealed().await;
    let log = sealed(&app);
    assert_eq!(log.iter().map(|l| l.1).collect::<Vec<_>>(), [1, 2, 3]);
    let (ok, out, err) = verify(&app, &[]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("audit log intact: 3 sealed event(s)"), "{out}");

    attacker(&app)
        .batch_execute("UPDATE audit_events SET outcome = 'denied' WHERE id = 2")
        .unwrap();
    let (ok, _, err) = verify(&app, &[]);
    assert!(!ok);
    assert_names(&err, "event 2, sealed at position 1, was altered");
    assert_names(
        &err,
        "the hash chain of the events before the log is broken at event 2",
    );
}
