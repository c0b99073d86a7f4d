//! Issue 22, the data subject's right of access (Directive 2016/680, Art. 14;
//! docs/ACCESS.md): `GET /v1/me/export` gives a citizen everything held about them, as
//! JSON and as a PDF, and nothing of anyone else's. The export is compared with what the
//! citizen filed; the PDF is read by an independent reader (Python's `pypdf`, through
//! `tests::python`).

use serde_json::{json, Value};
use tests::{assert_problem, spawn_app, TestApp};

const ZONE: &str = "zp-ottignies-louvain-la-neuve";

/// A bicycle theft of the citizen `token` whose texts carry `marker`; submitted unless
/// `draft`. Returns its id.
async fn filing(app: &TestApp, token: &str, marker: &str, draft: bool) -> String {
    let body = json!({
        "procedure": "bicycle_theft", "country": "BE", "place": {"municipality": "BE-25121"},
        "facts_date": {"from": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339()},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
        "facts": {"bicycle_locked": true, "circumstances": format!("{marker} circumstances"),
                  "items": [{"category": "bicycle", "brand": "Gazelle", "serial_number": format!("{marker}SN")}]},
        "contact": {"email": format!("{}@example.org", marker.to_lowercase())}, "confirmation_channel": "email"
    });
    let created = app
        .client
        .post(app.url("/v1/filings"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    if !draft {
        let submitted = app
            .client
            .post(app.url(&format!("/v1/filings/{id}/submit")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(submitted.status(), 200);
    }
    id
}

async fn act(app: &TestApp, officer: &str, id: &str, action: &str, version: i64) {
    let response = app
        .client
        .post(app.url(&format!("/v1/units/{ZONE}/filings/{id}/{action}")))
        .bearer_auth(officer)
        .header("if-match", format!("\"v{version}\""))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{action}");
}

async fn get(app: &TestApp, path: &str, token: &str, accept: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .header("accept", accept)
        .send()
        .await
        .unwrap()
}

/// The text of a PDF as Python's `pypdf` reads it, with its page count; line breaks are
/// spaces (lines are wrapped to the page's width, so a phrase may span two).
fn pdf_text(pdf: &[u8]) -> (usize, String) {
    let script = r#"
import io, json, sys
from pypdf import PdfReader
reader = PdfReader(io.BytesIO(sys.stdin.buffer.read()), strict=True)
print(json.dumps({"pages": len(reader.pages), "text": "\n".join(p.extract_text() for p in reader.pages)}))
"#;
    let stdout = tests::python::run_script(script, pdf, "pypdf refused the export");
    let read: Value = serde_json::from_slice(&stdout).unwrap();
    (
        read["pages"].as_u64().unwrap() as usize,
        read["text"].as_str().unwrap().replace('\n', " "),
    )
}

#[tokio::test]
async fn a_citizen_exports_everything_of_theirs_and_nothing_else() {
    let app = spawn_app().await;
    let alice = app
        .dev_token(json!({"kind": "citizen", "subject": "access-alice"}))
        .await;
    let bob = app
        .dev_token(json!({"kind": "citizen", "subject": "access-bob"}))
        .await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-access", "units": [ZONE]}))
        .await;
    let draft = filing(&app, &alice, "ALICEDRAFT", true).await;
    let registered = filing(&app, &alice, "ALICEREG", false).await;
    let bobs = filing(&app, &bob, "BOBSECRET", false).await;
    act(&app, &officer, &registered, "take-in-charge", 2).await;
    act(&app, &officer, &registered, "register", 3).await;
    let handed = app
        .client
        .get(app.url(&format!(
            "/v1/units/{ZONE}/filings/{registered}/export?justification=case+file"
        )))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(handed.status(), 200);
    let alert = app
        .client
        .post(app.url("/v1/alerts"))
        .bearer_auth(&alice)
        .json(&json!({"kind": "harassment", "position": {"lat": 50.673, "lon": 4.5687}, "text": "ALICEALERT grey coat, Żółć, Ωμέγα, Щука"}))
        .send()
        .await
        .unwrap();
    assert_eq!(alert.status(), 201);

    // JSON: every filing of hers, as she filed it, with its history and retention.
    let response = get(&app, "/v1/me/export?lang=en", &alice, "application/json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let export: Value = response.json().await.unwrap();
    let text = export.to_string();
    assert!(
        !text.contains("BOBSECRET") && !text.contains(&bobs),
        "{text}"
    );
    let filings = export["filings"].as_array().unwrap();
    assert_eq!(filings.len(), 2, "{export}");
    let by_id = |id: &str| {
        filings
            .iter()
            .find(|f| f["filing"]["id"] == id)
            .unwrap_or_else(|| panic!("{id} in {export}"))
    };
    let d = by_id(&draft);
    assert_eq!(d["filing"]["status"], "draft");
    assert_eq!(
        d["filing"]["facts"]["circumstances"],
        "ALICEDRAFT circumstances"
    );
    assert_eq!(
        d["filing"]["facts"]["items"][0]["serial_number"],
        "ALICEDRAFTSN"
    );
    assert_eq!(d["filing"]["contact"]["email"], "alicedraft@example.org");
    assert_eq!(d["retention"]["class"], "draft");
    assert_eq!(d["retention"]["days"], 30);
    assert_eq!(d["retention"]["kept"], "period_running");
    let r = by_id(&registered);
    let statuses: Vec<&str> = r["filing"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["draft", "submitted", "taken_in_charge", "registered"]
    );
    assert_eq!(r["retention"]["class"], "registered");
    assert_eq!(r["retention"]["days"], 90);
    assert!(r["retention"]["erasure_due"].is_string(), "{r}");
    let reference = r["filing"]["reference"].as_str().unwrap().to_owned();
    // The recipients: the hand-over to the records system, from the audit log.
    let recipients = export["recipients"].as_array().unwrap();
    assert_eq!(recipients.len(), 1, "{export}");
    assert_eq!(recipients[0]["recipient"], "records_system");
    assert_eq!(recipients[0]["filing_id"], registered.as_str());
    // Her notifications (submission, taking in charge, registration), her alert, the
    // purposes and their legal basis.
    let events: Vec<&str> = export["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["event"].as_str().unwrap())
        .collect();
    assert!(
        events.contains(&"submitted") && events.contains(&"registered"),
        "{events:?}"
    );
    assert!(export["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["filing_id"] == registered.as_str()));
    assert_eq!(export["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(
        export["alerts"][0]["text"],
        "ALICEALERT grey coat, Żółć, Ωμέγα, Щука"
    );
    assert_eq!(export["alerts"][0]["positions"][0]["lat"], 50.673);
    assert!(export["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["code"] == "filing_intake"
            && p["legal_basis"].as_str().unwrap().contains("2016/680")));
    // Her pseudonymous id, never her sign-in's subject.
    let subject = export["subject"].as_str().unwrap().to_owned();
    assert!(
        subject.starts_with("u-") && !subject.contains("alice"),
        "{subject}"
    );

    // Bob's export has his filing only.
    let bob_export: Value = get(&app, "/v1/me/export", &bob, "application/json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bob_export["filings"].as_array().unwrap().len(), 1);
    assert!(!bob_export.to_string().contains("ALICE"));
    assert_ne!(bob_export["subject"], subject.as_str());
    assert!(bob_export["alerts"].as_array().unwrap().is_empty());

    // The PDF, by Accept, read by pypdf: the same content.
    let response = get(&app, "/v1/me/export?lang=en", &alice, "application/pdf").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let pdf = response.bytes().await.unwrap();
    let (pages, text) = pdf_text(&pdf);
    assert!(pages >= 1);
    for expected in [
        "Your personal data held by the online police station",
        "ALICEDRAFT circumstances",
        "ALICEDRAFTSN",
        "alicedraft@example.org",
        "ALICEREG circumstances",
        reference.as_str(),
        "ALICEALERT grey coat, Żółć, Ωμέγα, Щука",
        "handed over to the police records system",
        subject.as_str(),
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} not in the PDF:\n{text}"
        );
    }
    assert!(!text.contains("BOBSECRET"));

    // `?format=pdf` in French.
    let response = get(&app, "/v1/me/export?format=pdf&lang=fr", &alice, "*/*").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let (_, text) = pdf_text(&response.bytes().await.unwrap());
    assert!(
        text.contains("Vos données personnelles détenues par le commissariat en ligne"),
        "{text}"
    );

    // Refusals.
    let unknown = get(&app, "/v1/me/export?format=xml", &alice, "*/*").await;
    assert_problem(unknown, 422, "validation_failed").await;
    let anonymous = app
        .client
        .get(app.url("/v1/me/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let by_officer = get(&app, "/v1/me/export", &officer, "application/json").await;
    assert_eq!(by_officer.status(), 403);
}

#[tokio::test]
async fn a_long_export_runs_over_several_pages() {
    let app = spawn_app().await;
    let carol = app
        .dev_token(json!({"kind": "citizen", "subject": "access-carol"}))
        .await;
    let mut ids = Vec::new();
    for i in 0..8 {
        ids.push(filing(&app, &carol, &format!("CAROL{i}X"), true).await);
    }
    let response = get(&app, "/v1/me/export?format=pdf", &carol, "*/*").await;
    assert_eq!(response.status(), 200);
    let (pages, text) = pdf_text(&response.bytes().await.unwrap());
    assert!(pages >= 2, "{pages} page(s)");
    for i in 0..8 {
        assert!(
            text.contains(&format!("CAROL{i}X circumstances")),
            "{i}: {text}"
        );
    }
    for id in ids {
        assert!(text.contains(&id));
    }
}

/// Art. 24: the record of processing, generated from the catalogue, the retention
/// periods and the configuration, for the data protection officer (administrators and
/// auditors), as JSON and Markdown, and from the command line.
#[tokio::test]
async fn the_record_of_processing_is_generated_for_the_data_protection_officer() {
    let app = spawn_app().await;
    let auditor = app
        .dev_token(json!({"kind": "officer", "subject": "dpo", "role": "auditor", "units": [ZONE]}))
        .await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-rop", "units": [ZONE]}))
        .await;
    let citizen = app
        .dev_token(json!({"kind": "citizen", "subject": "rop-citizen"}))
        .await;
    let response = get(
        &app,
        "/v1/records-of-processing",
        &auditor,
        "application/json",
    )
    .await;
    assert_eq!(response.status(), 200);
    let record: Value = response.json().await.unwrap();
    let scam = record["retention"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["procedure"] == "online_scam")
        .unwrap_or_else(|| panic!("{record}"));
    assert_eq!(scam["registered"], 30);
    assert_eq!(scam["draft"], 30);
    assert_eq!(record["retention_defaults"]["rejected"], 365);
    let procedures = record["procedures"].as_array().unwrap();
    assert!(procedures.iter().any(|p| p == "bicycle_theft"));
    assert_eq!(
        procedures.len(),
        record["retention"].as_array().unwrap().len()
    );
    for part in ["purposes", "recipients", "security", "retention_rules"] {
        assert!(!record[part].as_array().unwrap().is_empty(), "{part}");
    }
    assert!(record["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["legal_basis"].as_str().unwrap().contains("2016/680")));
    assert!(record["deployment"]["countries"]
        .as_array()
        .unwrap()
        .contains(&json!("BE")));

    let markdown = get(&app, "/v1/records-of-processing", &auditor, "text/markdown").await;
    assert_eq!(markdown.status(), 200);
    assert!(markdown.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/markdown"));
    let text = markdown.text().await.unwrap();
    assert!(
        text.starts_with("# Record of processing activities"),
        "{text}"
    );
    assert!(
        text.contains("| online_scam | 30 | 90 | 365 | 365 | 30 |"),
        "{text}"
    );

    for (token, status) in [(&officer, 403), (&citizen, 403)] {
        let refused = get(&app, "/v1/records-of-processing", token, "application/json").await;
        assert_eq!(refused.status(), status);
    }

    // The same document from the command line.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ecommissariat-under-test"))
        .args(["records-of-processing"])
        .env("DATABASE_URL", app.db.url())
        .env_remove("ECOM_CONFIG")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8(output.stdout).unwrap();
    assert!(
        printed.contains("| online_scam | 30 | 90 | 365 | 365 | 30 |"),
        "{printed}"
    );
    let json_output = std::process::Command::new(env!("CARGO_BIN_EXE_ecommissariat-under-test"))
        .args(["records-of-processing", "--format", "json"])
        .env_remove("ECOM_CONFIG")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(json_output.status.success());
    let printed: Value = serde_json::from_slice(&json_output.stdout).unwrap();
    assert_eq!(printed["retention"], record["retention"]);
}

async fn export_json(app: &TestApp, token: &str) -> Value {
    let response = get(app, "/v1/me/export", token, "application/json").await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn send_json(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

/// Art. 15(1): an officer of the unit withholds a filing from its author's export; the
/// export (JSON and PDF) leaves it out with its notifications and says that some data is
/// withheld, never which; another unit cannot decide it; lifting it brings the filing
/// back; every decision is in the audit trail, without the reason.
#[tokio::test]
async fn an_officer_withholds_a_filing_from_the_export_and_the_export_says_so() {
    use reqwest::Method;
    let app = spawn_app().await;
    let alice = app
        .dev_token(json!({"kind": "citizen", "subject": "withheld-alice"}))
        .await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-inquiry", "units": [ZONE]}))
        .await;
    let stranger = app
        .dev_token(json!({"kind": "officer", "subject": "o-namur", "units": ["zp-namur"]}))
        .await;
    let kept = filing(&app, &alice, "KEPTMARK", false).await;
    let secret = filing(&app, &alice, "INQUIRYMARK", false).await;
    let before = export_json(&app, &alice).await;
    assert!(before.get("withheld").is_none(), "{before}");
    assert!(before.to_string().contains("INQUIRYMARK"));

    let path = format!("/v1/units/{ZONE}/filings/{secret}/access-restriction");
    let review = (chrono::Utc::now() + chrono::Duration::days(90)).date_naive();
    let body = json!({"reason": "Inquiry 2026/881", "review_on": review.to_string()});
    let refused = send_json(&app, Method::PUT, &path, &stranger, Some(body.clone())).await;
    assert_problem(refused, 403, "forbidden").await;
    let bad = json!({"reason": "", "review_on": "2020-01-01"});
    let bad = send_json(&app, Method::PUT, &path, &officer, Some(bad)).await;
    assert_problem(bad, 422, "validation_failed").await;
    let missing = send_json(&app, Method::GET, &path, &officer, None).await;
    assert_problem(missing, 404, "restriction_not_found").await;
    let decided = send_json(&app, Method::PUT, &path, &officer, Some(body)).await;
    assert_eq!(decided.status(), 200);
    let view: Value = decided.json().await.unwrap();
    assert_eq!(view["review_on"], review.to_string());
    let read: Value = send_json(&app, Method::GET, &path, &officer, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["reason"], "Inquiry 2026/881");

    // The export leaves it out, with what hangs on it, and says that something is withheld.
    let during = export_json(&app, &alice).await;
    let text = during.to_string();
    assert!(
        !text.contains("INQUIRYMARK") && !text.contains(&secret),
        "{text}"
    );
    assert!(text.contains("KEPTMARK") && text.contains(&kept));
    let statement = during["withheld"].as_str().unwrap();
    assert!(statement.contains("Art. 15(1)"), "{statement}");
    assert!(!statement.contains("Inquiry 2026/881"));
    let pdf = get(&app, "/v1/me/export", &alice, "application/pdf").await;
    assert_eq!(pdf.status(), 200);
    let (_, pdf_text) = pdf_text(&pdf.bytes().await.unwrap());
    assert!(!pdf_text.contains("INQUIRYMARK"));
    assert!(pdf_text.contains("Art. 15(1)"), "{pdf_text}");
    // The citizen's own views of the filing are unchanged.
    let own = get(
        &app,
        &format!("/v1/filings/{secret}"),
        &alice,
        "application/json",
    )
    .await;
    assert_eq!(own.status(), 200);

    let lifted = send_json(&app, Method::DELETE, &path, &officer, None).await;
    assert_eq!(lifted.status(), 204);
    let after = export_json(&app, &alice).await;
    assert!(after.get("withheld").is_none());
    assert!(after.to_string().contains("INQUIRYMARK"));

    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    let events: Vec<_> = persistence::audit::list(&mut conn, &Default::default(), 10_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.event.object_id.as_deref() == Some(secret.as_str()))
        .collect();
    let actions: Vec<&str> = events.iter().map(|e| e.event.action.as_str()).collect();
    assert!(actions.contains(&"restrict_access"), "{actions:?}");
    assert!(actions.contains(&"lift_access_restriction"), "{actions:?}");
    assert!(events
        .iter()
        .all(|e| !format!("{:?}", e.event).contains("Inquiry 2026/881")));
}
