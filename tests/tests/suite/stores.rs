//! The idempotency-key store and the audit-event store, on the backend under test
//! (SQLite, or PostgreSQL when TEST_DATABASE_URL is set).

use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use domain::audit::{Actor, ActorRole, AuditEvent, AuditOperation, AuditOutcome};
use persistence::audit::{self, AuditFilter};
use persistence::idempotency::{self, Claim, StoredResponse};
use std::sync::{Arc, Barrier};
use tests::TestDb;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap() + Duration::nanoseconds(123_456_789)
}

fn response() -> StoredResponse {
    StoredResponse {
        status: 201,
        headers: vec![("location".into(), "/v1/filings/abc".into())],
        body: r#"{"id":"abc"}"#.into(),
    }
}

/// Takes the key in a transaction and records `response` in it, as a request does.
fn answer(
    c: &mut persistence::DbConnection,
    caller: &str,
    key: &str,
    fp: &str,
    at: DateTime<Utc>,
) -> Claim {
    c.write_transaction(|c| {
        let claim = idempotency::begin(c, caller, key, fp, at)?;
        if claim == Claim::Claimed {
            idempotency::record(c, caller, key, fp, &response(), at)?;
        }
        Ok::<_, persistence::PersistenceError>(claim)
    })
    .unwrap()
}

#[test]
fn idempotency_claim_replay_mismatch_and_expiry() {
    let db = TestDb::new();
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let c = &mut *conn;
    let now = t0();

    assert_eq!(
        idempotency::lookup(c, "citizen:1", "k1", "fp", now).unwrap(),
        Claim::Claimed
    );
    assert_eq!(answer(c, "citizen:1", "k1", "fp", now), Claim::Claimed);
    assert_eq!(
        idempotency::lookup(c, "citizen:1", "k1", "fp", now + Duration::hours(23)).unwrap(),
        Claim::Replay(response())
    );
    assert_eq!(
        answer(c, "citizen:1", "k1", "fp", now + Duration::hours(23)),
        Claim::Replay(response())
    );
    assert_eq!(
        idempotency::lookup(c, "citizen:1", "k1", "other", now + Duration::hours(23)).unwrap(),
        Claim::FingerprintMismatch
    );
    // Keys are scoped to the caller.
    assert_eq!(answer(c, "citizen:2", "k1", "x", now), Claim::Claimed);
    // After 24 hours the key is forgotten and may be used again, for anything.
    assert_eq!(
        idempotency::lookup(c, "citizen:1", "k1", "new", now + Duration::hours(24)).unwrap(),
        Claim::Claimed
    );
    assert_eq!(
        answer(c, "citizen:1", "k1", "new", now + Duration::hours(24)),
        Claim::Claimed
    );
}

#[test]
fn idempotency_key_of_a_rolled_back_request_stays_free() {
    let db = TestDb::new();
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let c = &mut *conn;
    let failed: Result<(), persistence::PersistenceError> = c.write_transaction(|c| {
        assert_eq!(
            idempotency::begin(c, "a", "k", "fp", t0()).unwrap(),
            Claim::Claimed
        );
        idempotency::record(c, "a", "k", "fp", &response(), t0())?;
        Err(persistence::PersistenceError::Migration(
            "the request failed".into(),
        ))
    });
    assert!(failed.is_err());
    assert_eq!(
        idempotency::lookup(c, "a", "k", "fp", t0()).unwrap(),
        Claim::Claimed,
        "nothing kept: a retry runs again"
    );
}

#[test]
fn idempotency_purge_removes_only_expired_keys() {
    let db = TestDb::new();
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let c = &mut *conn;
    answer(c, "a", "old", "fp", t0());
    answer(c, "a", "new", "fp", t0() + Duration::hours(12));
    assert_eq!(
        idempotency::purge_expired(c, t0() + Duration::hours(25)).unwrap(),
        1
    );
    assert_eq!(
        idempotency::lookup(c, "a", "new", "fp", t0() + Duration::hours(12)).unwrap(),
        Claim::Replay(response())
    );
}

#[test]
fn idempotency_concurrent_requests_have_one_winner() {
    let db = TestDb::new();
    let pool = db.pool();
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let pool = pool.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut conn = pool.get().unwrap();
                barrier.wait();
                conn.write_transaction(|c| {
                    let claim = idempotency::begin(c, "c", "same-key", "fp", t0())?;
                    if claim == Claim::Claimed {
                        // Hold the key a while, as a request doing its work would.
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        idempotency::record(c, "c", "same-key", "fp", &response(), t0())?;
                    }
                    Ok::<_, persistence::PersistenceError>(claim)
                })
                .unwrap()
            })
        })
        .collect();
    let claims: Vec<Claim> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let winners = claims.iter().filter(|c| **c == Claim::Claimed).count();
    assert_eq!(winners, 1, "{claims:?}");
    // The others were told "in progress" (PostgreSQL) or, having waited for the writer
    // (SQLite), got its response.
    assert!(claims
        .iter()
        .all(|c| matches!(c, Claim::Claimed | Claim::InProgress | Claim::Replay(_))));
}

fn event(actor: &str, object: &str, minutes: i64) -> AuditEvent {
    AuditEvent {
        occurred_at: t0() + Duration::minutes(minutes),
        actor: Actor {
            id: actor.into(),
            role: ActorRole::Officer,
            unit: Some("be-zone-5277".into()),
            client_id: Some("back-office".into()),
        },
        operation: AuditOperation::Consultation,
        action: "view_filing".into(),
        object_type: "filing".into(),
        object_id: Some(object.into()),
        justification: Some("processing".into()),
        recipient: None,
        outcome: AuditOutcome::Allowed,
        request_id: Some("req-1".into()),
    }
}

#[test]
fn audit_events_round_trip_and_filter() {
    let db = TestDb::new();
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let c = &mut *conn;
    let first = audit::append(c, &event("officer-1", "f-1", 0)).unwrap();
    let mut denied = event("officer-2", "f-1", 5);
    denied.outcome = AuditOutcome::Denied;
    denied.operation = AuditOperation::Disclosure;
    denied.recipient = Some("records-system".into());
    audit::append(c, &denied).unwrap();
    audit::append(c, &event("officer-1", "f-2", 10)).unwrap();
    assert_eq!(audit::count(c).unwrap(), 3);

    let all = audit::list(c, &AuditFilter::default(), 100).unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].id, first);
    // Microsecond precision on both backends.
    assert_eq!(all[0].event.occurred_at, t0() - Duration::nanoseconds(789));
    assert_eq!(all[1].event, {
        let mut e = denied.clone();
        e.occurred_at = t0() + Duration::minutes(5) - Duration::nanoseconds(789);
        e
    });

    let by_object = AuditFilter {
        object_type: Some("filing".into()),
        object_id: Some("f-1".into()),
        ..AuditFilter::default()
    };
    assert_eq!(audit::list(c, &by_object, 100).unwrap().len(), 2);
    let by_actor = AuditFilter {
        actor_id: Some("officer-1".into()),
        ..AuditFilter::default()
    };
    assert_eq!(audit::list(c, &by_actor, 100).unwrap().len(), 2);
    let by_time = AuditFilter {
        from: Some(t0() + Duration::minutes(1)),
        until: Some(t0() + Duration::minutes(6)),
        ..AuditFilter::default()
    };
    let window = audit::list(c, &by_time, 100).unwrap();
    assert_eq!(window.len(), 1);
    assert_eq!(window[0].event.actor.id, "officer-2");
    let page = AuditFilter {
        after_id: Some(first),
        ..AuditFilter::default()
    };
    assert_eq!(audit::list(c, &page, 1).unwrap().len(), 1);
}

#[test]
fn audit_events_cannot_be_updated_or_deleted() {
    let db = TestDb::new();
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    audit::append(&mut conn, &event("officer-1", "f-1", 0)).unwrap();
    let update = conn.batch_execute("UPDATE audit_events SET outcome = 'denied'");
    assert!(update.is_err(), "UPDATE was accepted");
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = conn.batch_execute("DELETE FROM audit_events");
    assert!(delete.is_err(), "DELETE was accepted");
    if db.is_postgres() {
        assert!(conn.batch_execute("TRUNCATE audit_events").is_err());
    }
    assert_eq!(audit::count(&mut conn).unwrap(), 1);
}

#[test]
fn write_transactions_roll_back_as_a_whole() {
    let db = TestDb::new();
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let result: Result<(), persistence::PersistenceError> = conn.write_transaction(|c| {
        audit::append(c, &event("officer-1", "f-1", 0))?;
        // The second statement fails: nothing of the transaction remains.
        c.batch_execute("INSERT INTO no_such_table VALUES (1)")?;
        Ok(())
    });
    assert!(result.is_err());
    assert_eq!(audit::count(&mut conn).unwrap(), 0);
    conn.write_transaction(|c| audit::append(c, &event("officer-1", "f-1", 0)).map(|_| ()))
        .unwrap();
    assert_eq!(audit::count(&mut conn).unwrap(), 1);
}

/// Signs a tree head with a test key.
fn test_sign(head: &persistence::auditlog::TreeHead) -> Result<domain::audit::Checkpoint, String> {
    use ed25519_dalek::Signer;
    let signer = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let root = hex_of(&head.root_hash);
    let text = domain::audit::Checkpoint::signed_text(head.tree_size, &root, head.issued_at);
    Ok(domain::audit::Checkpoint {
        tree_size: head.tree_size,
        root_hash: root,
        issued_at: head.issued_at,
        key_id: "test".into(),
        signature: base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            signer.sign(text.as_bytes()).to_bytes(),
        ),
    })
}

/// Seals every pending event (as the sealer does), with a test key.
fn seal_all(conn: &mut persistence::DbConnection) -> Vec<domain::audit::Checkpoint> {
    let mut checkpoints = Vec::new();
    while let Some(c) = persistence::auditlog::seal_batch(conn, 7, Utc::now(), &test_sign).unwrap()
    {
        checkpoints.push(c);
    }
    checkpoints
}

/// The sealer keeps the tree's right edge between batches; when another sealer sealed
/// meanwhile, it reads the edge again, and every checkpoint is the root of the stored
/// tree. Events appended together (`append_all`) get ascending ids.
#[test]
fn a_sealer_holding_the_trees_edge_follows_another_sealers_batches() {
    use persistence::auditlog::{frontier, root_at, seal_batch_held};
    let db = TestDb::new();
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let mut edge = None;
    // Seals every pending event in batches of 4: the last checkpoint, and how many
    // events the batches appended.
    let seal_held = |conn: &mut persistence::DbConnection, edge: &mut Option<_>| {
        let (mut last, mut appended) = (None, 0);
        while let Some((c, n)) = seal_batch_held(conn, 4, Utc::now(), &test_sign, edge).unwrap() {
            last = Some(c);
            appended += n;
        }
        (last.unwrap(), appended)
    };
    for n in 0..10 {
        audit::append(&mut conn, &event("officer-1", &format!("f-{n}"), 0)).unwrap();
    }
    let (first, appended) = seal_held(&mut conn, &mut edge);
    assert_eq!((first.tree_size, appended), (10, 10));
    assert_eq!(edge, Some(frontier(&mut conn, 10).unwrap()));

    // Another sealer (another instance) seals five more.
    let batch: Vec<_> = (10..15)
        .map(|n| event("officer-2", &format!("f-{n}"), 0))
        .collect();
    let ids = audit::append_all(&mut conn, &batch).unwrap();
    assert_eq!(ids.len(), 5);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    // Each id is its own event's, in the order given.
    for (id, n) in ids.iter().zip(10..15) {
        use diesel::prelude::*;
        use persistence::schema::audit_events as a;
        let object: Option<String> = a::table
            .find(id)
            .select(a::object_id)
            .first(&mut **conn)
            .unwrap();
        assert_eq!(object, Some(format!("f-{n}")));
    }
    assert_eq!(seal_all(&mut conn).last().unwrap().tree_size, 15);

    // The held edge (10 leaves) is stale: it is read again, and the root is the tree's.
    for n in 15..18 {
        audit::append(&mut conn, &event("officer-1", &format!("f-{n}"), 0)).unwrap();
    }
    let (last, appended) = seal_held(&mut conn, &mut edge);
    // Only this sealer's own events are counted as appended by it.
    assert_eq!((last.tree_size, appended), (18, 3));
    assert_eq!(last.root_hash, hex_of(&root_at(&mut conn, 18).unwrap()));
    assert_eq!(edge, Some(frontier(&mut conn, 18).unwrap()));
    assert_eq!(log_order(&mut conn).len(), 18);
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The event ids in log order.
fn log_order(conn: &mut persistence::DbConnection) -> Vec<i64> {
    let entries = persistence::auditlog::entries(conn, 0, 10_000).unwrap();
    assert!(entries
        .iter()
        .enumerate()
        .all(|(i, e)| e.log_index == i as u64));
    entries.iter().map(|e| e.event_id).collect()
}

#[test]
fn a_rolled_back_append_leaves_no_hole_and_a_late_commit_is_sealed_after() {
    let db = TestDb::new();
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let first = audit::append(&mut conn, &event("officer-1", "f-1", 0)).unwrap();
    let rolled_back: Result<(), persistence::PersistenceError> = conn.write_transaction(|c| {
        audit::append(c, &event("officer-1", "f-2", 0))?;
        Err(persistence::PersistenceError::Connect("abandoned".into()))
    });
    assert!(rolled_back.is_err());
    let third = audit::append(&mut conn, &event("officer-1", "f-3", 0)).unwrap();
    let checkpoints = seal_all(&mut conn);
    assert_eq!(checkpoints.last().unwrap().tree_size, 2);
    assert_eq!(log_order(&mut conn), [first, third]);

    if !db.is_postgres() {
        return; // SQLite's writers are serial: no transaction commits out of id order.
    }
    // A transaction takes an id, then commits after a later one has been sealed.
    let (taken_tx, taken) = std::sync::mpsc::channel();
    let (go_tx, go) = std::sync::mpsc::channel::<()>();
    let late_pool = pool.clone();
    let late = std::thread::spawn(move || {
        let mut c = late_pool.get().unwrap();
        c.write_transaction(|c| {
            let id = audit::append(c, &event("officer-2", "f-4", 0))?;
            taken_tx.send(id).unwrap();
            go.recv().unwrap();
            Ok::<_, persistence::PersistenceError>(id)
        })
        .unwrap()
    });
    let late_id = taken.recv().unwrap();
    let early_id = audit::append(&mut conn, &event("officer-3", "f-5", 0)).unwrap();
    assert!(late_id < early_id);
    seal_all(&mut conn);
    assert_eq!(log_order(&mut conn), [first, third, early_id]);
    go_tx.send(()).unwrap();
    assert_eq!(late.join().unwrap(), late_id);
    let checkpoints = seal_all(&mut conn);
    assert_eq!(checkpoints.last().unwrap().tree_size, 4);
    assert_eq!(log_order(&mut conn), [first, third, early_id, late_id]);
}

#[test]
fn concurrent_appends_are_all_sealed_once() {
    let db = TestDb::new();
    let pool = db.pool();
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let pool = pool.clone();
            std::thread::spawn(move || {
                let mut conn = pool.get().unwrap();
                (0..5)
                    .map(|j| {
                        audit::append(&mut conn, &event("officer-1", &format!("f-{i}-{j}"), j))
                            .unwrap()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut ids: Vec<i64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let mut conn = pool.get().unwrap();
    seal_all(&mut conn);
    let mut sealed = log_order(&mut conn);
    ids.sort_unstable();
    sealed.sort_unstable();
    assert_eq!(sealed, ids);
    // The stored tree hashes to the checkpoint: the root from stored subtrees.
    let latest = persistence::auditlog::latest_checkpoint(&mut conn)
        .unwrap()
        .unwrap();
    let root = persistence::auditlog::root_at(&mut conn, 40).unwrap();
    assert_eq!(hex_of(&root), latest.root_hash);
}
