//! Evidence (issue 21, docs/EVIDENCE.md): attachments and supplements with real files, the
//! viewing copy checked by an independent EXIF reader (Python's `exifread`), refusals of
//! disguised, oversized and "bomb" files, encryption at rest, access and its audit trail,
//! the export, upload links, and the cleanup of what a crash leaves. The same scenarios run
//! on the local store and on a real S3-compatible server (`moto`, started by the test).

use api::config::Settings;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::Write;
use tests::{assert_problem, spawn_app_with, TestApp};

const ZONE: &str = "zp-ottignies-louvain-la-neuve";

pub(crate) fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A TIFF (EXIF) block with the camera's make and a GPS position (50°40' N, 4°36' E).
fn exif_with_gps() -> Vec<u8> {
    let mut t = Vec::new();
    let u16be = |t: &mut Vec<u8>, v: u16| t.extend_from_slice(&v.to_be_bytes());
    let u32be = |t: &mut Vec<u8>, v: u32| t.extend_from_slice(&v.to_be_bytes());
    // Header, IFD0 at 8.
    t.extend_from_slice(b"MM");
    u16be(&mut t, 42);
    u32be(&mut t, 8);
    // IFD0: Make (offset 38), GPSInfo (IFD at 44).
    u16be(&mut t, 2);
    for (tag, kind, count, value) in [(0x010F, 2, 6, 38), (0x8825, 4, 1, 44)] {
        u16be(&mut t, tag);
        u16be(&mut t, kind);
        u32be(&mut t, count);
        u32be(&mut t, value);
    }
    u32be(&mut t, 0);
    t.extend_from_slice(b"Canon\0");
    assert_eq!(t.len(), 44);
    // GPS IFD: version, latitude ref and value (at 110), longitude ref and value (at 134).
    u16be(&mut t, 5);
    for (tag, kind, count, value) in [
        (0x0000u16, 1u16, 4u32, 0x0203_0000u32),
        (0x0001, 2, 2, u32::from_be_bytes(*b"N\0\0\0")),
        (0x0002, 5, 3, 110),
        (0x0003, 2, 2, u32::from_be_bytes(*b"E\0\0\0")),
        (0x0004, 5, 3, 134),
    ] {
        u16be(&mut t, tag);
        u16be(&mut t, kind);
        u32be(&mut t, count);
        u32be(&mut t, value);
    }
    u32be(&mut t, 0);
    assert_eq!(t.len(), 110);
    for v in [50, 1, 40, 1, 0, 1, 4, 1, 36, 1, 0, 1] {
        u32be(&mut t, v);
    }
    t
}

fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    s.extend_from_slice(body);
    s
}

/// A JPEG with EXIF (camera, GPS) and XMP (GPS again), 640 × 480.
pub(crate) fn jpeg_with_gps() -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    j.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(exif_with_gps());
    j.extend(segment(0xE1, &exif));
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    xmp.extend_from_slice(
        br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="50,40.0N" exif:GPSLongitude="4,36.0E"/></rdf:RDF></x:xmpmeta>"#,
    );
    j.extend(segment(0xE1, &xmp));
    // SOF0: 8 bits, 480 high, 640 wide, 3 components.
    j.extend(segment(
        0xC0,
        &[
            8, 0x01, 0xE0, 0x02, 0x80, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1,
        ],
    ));
    j.extend(segment(0xDA, &[3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3F, 0]));
    j.extend_from_slice(&[0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0, 0x11, 0x22]);
    j.extend_from_slice(&[0xFF, 0xD9]);
    j
}

/// A PNG whose header declares 100000 × 100000 pixels (40 GB decoded).
fn png_bomb() -> Vec<u8> {
    let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8; 4], body: &[u8]| {
        p.extend_from_slice(&(body.len() as u32).to_be_bytes());
        p.extend_from_slice(kind);
        p.extend_from_slice(body);
        p.extend_from_slice(&[0, 0, 0, 0]);
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9C, 0x03, 0x00]);
    chunk(b"IEND", &[]);
    p
}

pub(crate) fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".to_vec()
}

pub(crate) fn elf() -> Vec<u8> {
    let mut e = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0".to_vec();
    e.resize(512, 0);
    e
}

/// The EXIF tags an independent reader (Python's `exifread`, pinned in `.ci/run`) finds.
pub(crate) fn exif_tags(bytes: &[u8]) -> Vec<String> {
    let python = tests::python::python();
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    let script = "import exifread, json, sys\n\
                  tags = exifread.process_file(open(sys.argv[1], 'rb'), details=False)\n\
                  print(json.dumps(sorted(tags.keys())))";
    let output = std::process::Command::new(&python)
        .args(["-c", script])
        .arg(file.path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python} (tests/requirements.txt): {e}"));
    assert!(
        output.status.success(),
        "exifread failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

pub(crate) fn part(bytes: Vec<u8>, name: &str, content_type: &str) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(content_type)
        .unwrap()
}

pub(crate) async fn upload(
    app: &TestApp,
    token: Option<&str>,
    path: &str,
    form: reqwest::multipart::Form,
) -> reqwest::Response {
    let mut request = app.client.post(app.url(path)).multipart(form);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn draft(app: &TestApp, citizen: &str) -> String {
    let body = json!({
        "procedure": "bicycle_theft", "country": "BE", "place": {"municipality": "BE-25121"},
        "facts_date": {"from": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339()},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false, "violence": false, "exploitable_traces": false},
        "facts": {"bicycle_locked": true, "circumstances": "Gone.", "items": [{"category": "bicycle"}]},
        "contact": {"email": "alice@example.org"}, "confirmation_channel": "email"
    });
    let created: Value = app
        .client
        .post(app.url("/v1/filings"))
        .bearer_auth(citizen)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    created["id"].as_str().unwrap().to_owned()
}

/// Alice's token and a draft of hers.
async fn alice_with_draft(app: &TestApp) -> (String, String) {
    let alice = app
        .dev_token(json!({"kind": "citizen", "subject": "alice"}))
        .await;
    let id = draft(app, &alice).await;
    (alice, id)
}

async fn submit(app: &TestApp, citizen: &str, id: &str) {
    let response = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/submit")))
        .bearer_auth(citizen)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

pub(crate) async fn get_bytes(app: &TestApp, token: &str, path: &str) -> (u16, Vec<u8>) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.bytes().await.unwrap().to_vec())
}

async fn get_json(app: &TestApp, token: &str, path: &str) -> Value {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

pub(crate) fn audit_events(app: &TestApp) -> Vec<domain::audit::AuditEvent> {
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    persistence::audit::list(&mut conn, &Default::default(), 10_000)
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect()
}

/// The whole life of evidence on one store: attachments on a draft with real files,
/// refusals, the viewing copy checked by exifread, access, supplements, the queue's
/// marker, downloads and their audit, the export.
async fn attachments_on(app: &TestApp) {
    let alice = app
        .dev_token(json!({"kind": "citizen", "subject": "alice"}))
        .await;
    let mallory = app
        .dev_token(json!({"kind": "citizen", "subject": "mallory"}))
        .await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}))
        .await;
    let id = draft(app, &alice).await;
    let base = format!("/v1/filings/{id}/attachments");
    let jpeg = jpeg_with_gps();
    let text = "Facture vélo: 450 € — numéro de cadre WTU123\n"
        .as_bytes()
        .to_vec();

    // The reader sees the GPS position in the original: the check below can fail.
    let original_tags = exif_tags(&jpeg);
    assert!(
        original_tags
            .iter()
            .any(|t| t.starts_with("GPS GPSLatitude")),
        "{original_tags:?}"
    );

    let form = reqwest::multipart::Form::new()
        .part("file", part(jpeg.clone(), "bike.jpg", "image/jpeg"))
        .part("file", part(pdf(), "invoice.pdf", "application/pdf"))
        .part("file", part(text.clone(), "notes.txt", "text/plain"));
    let response = upload(app, Some(&alice), &base, form).await;
    assert_eq!(response.status(), 201);
    let received: Value = response.json().await.unwrap();
    let items = received["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["media_type"], "image/jpeg");
    assert_eq!(items[0]["sha256"], sha256(&jpeg));
    assert_eq!(items[0]["metadata_removed"], true);
    assert_eq!(items[0]["origin"], "attachment");
    assert_eq!(items[1]["media_type"], "application/pdf");
    assert_eq!(items[1]["metadata_removed"], false);
    assert_eq!(items[2]["media_type"], "text/plain; charset=utf-8");
    let photo = items[0]["id"].as_str().unwrap().to_owned();
    let invoice = items[1]["id"].as_str().unwrap().to_owned();

    // The viewing copy: no EXIF, no GPS, no XMP, for an independent reader.
    let (status, viewing) = get_bytes(app, &alice, &format!("{base}/{photo}/content")).await;
    assert_eq!(status, 200);
    assert_ne!(viewing, jpeg);
    let tags = exif_tags(&viewing);
    assert!(tags.iter().all(|t| !t.starts_with("GPS")), "{tags:?}");
    assert!(tags.is_empty(), "{tags:?}");
    let viewing_text = String::from_utf8_lossy(&viewing);
    assert!(!viewing_text.contains("GPSLatitude") && !viewing_text.contains("Canon"));
    assert_eq!(&viewing[..2], &[0xFF, 0xD8], "still a JPEG");
    let (_, pdf_back) = get_bytes(app, &alice, &format!("{base}/{invoice}/content")).await;
    assert_eq!(pdf_back, pdf());

    // Another citizen: the filing and the file are 404.
    let response = app
        .client
        .get(app.url(&base))
        .bearer_auth(&mallory)
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "filing_not_found").await;
    let response = app
        .client
        .get(app.url(&format!("{base}/{photo}/content")))
        .bearer_auth(&mallory)
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "filing_not_found").await;
    let form =
        reqwest::multipart::Form::new().part("file", part(pdf(), "x.pdf", "application/pdf"));
    assert_problem(
        upload(app, Some(&mallory), &base, form).await,
        404,
        "filing_not_found",
    )
    .await;

    // Disguised files: an executable and HTML pages named .jpg; a PNG whose header
    // declares 100000 x 100000 pixels. Each refusal names the file.
    for (bytes, name, declared) in [
        (elf(), "holiday.jpg", "image/jpeg"),
        (
            b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>".to_vec(),
            "cute-cat.jpg",
            "image/jpeg",
        ),
        (
            b"<html><body>hi</body></html>".to_vec(),
            "page.jpg",
            "image/jpeg",
        ),
        (png_bomb(), "bomb.png", "image/png"),
        (b"plain words".to_vec(), "words.pdf", "application/pdf"),
    ] {
        let form = reqwest::multipart::Form::new().part("file", part(bytes, name, declared));
        let body = assert_problem(
            upload(app, Some(&alice), &base, form).await,
            422,
            "attachment_refused",
        )
        .await;
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(name), "{detail}");
    }
    // Nothing of a refused request is kept.
    let listed = get_json(app, &alice, &base).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 3);

    // Stored bytes are not the plaintext (local store: read the files under the data folder).
    if let Some(dir) = local_dir(app) {
        let stored = std::fs::read(dir.join("attachments").join(&photo).join("original")).unwrap();
        assert!(stored.starts_with(b"ECEV1"));
        assert!(!stored.windows(6).any(|w| w == b"Canon\0"));
        let notes = items[2]["id"].as_str().unwrap();
        let stored = std::fs::read(dir.join("attachments").join(notes).join("original")).unwrap();
        assert!(!String::from_utf8_lossy(&stored).contains("WTU123"));
        assert_ne!(stored.len(), 0);
    }

    // After submission: a supplement (words and a file), in the history, audited with the
    // hash, and marked as new information in the unit's queue until an officer opens it.
    submit(app, &alice, &id).await;
    let queue = get_json(app, &officer, &format!("/v1/units/{ZONE}/filings")).await;
    assert_eq!(queue["items"][0]["new_information"], false);
    let second = b"Second invoice\n".to_vec();
    let form = reqwest::multipart::Form::new()
        .text("text", "I found the seller's ad too.")
        .part("file", part(second.clone(), "ad.txt", "text/plain"));
    let response = upload(app, Some(&alice), &base, form).await;
    assert_eq!(response.status(), 201);
    let supplement: Value = response.json().await.unwrap();
    assert_eq!(supplement["items"][0]["origin"], "supplement");
    let queue = get_json(app, &officer, &format!("/v1/units/{ZONE}/filings")).await;
    assert_eq!(queue["items"][0]["new_information"], true);
    let filing = get_json(app, &officer, &format!("/v1/units/{ZONE}/filings/{id}")).await;
    assert_eq!(filing["new_information"], true);
    let history = filing["history"].as_array().unwrap();
    assert_eq!(history.last().unwrap()["action"], "add_supplement");
    let queue = get_json(app, &officer, &format!("/v1/units/{ZONE}/filings")).await;
    assert_eq!(queue["items"][0]["new_information"], false);
    // The citizen's own history lists status changes only.
    let own = get_json(app, &alice, &format!("/v1/filings/{id}")).await;
    assert_eq!(own["history"].as_array().unwrap().len(), 2);

    // The unit: every file and supplement; the viewing copy and the original.
    let unit_base = format!("/v1/units/{ZONE}/filings/{id}/attachments");
    let evidence = get_json(app, &officer, &unit_base).await;
    assert_eq!(evidence["attachments"].as_array().unwrap().len(), 4);
    assert_eq!(
        evidence["supplements"][0]["text"],
        "I found the seller's ad too."
    );
    let (status, original) =
        get_bytes(app, &officer, &format!("{unit_base}/{photo}/original")).await;
    assert_eq!(status, 200);
    assert_eq!(sha256(&original), sha256(&jpeg));
    let (_, view) = get_bytes(app, &officer, &format!("{unit_base}/{photo}/content")).await;
    assert_eq!(view, viewing);
    let stranger = app
        .dev_token(json!({"kind": "officer", "subject": "o-9", "units": ["zp-namur"]}))
        .await;
    let response = app
        .client
        .get(app.url(&format!("{unit_base}/{photo}/original")))
        .bearer_auth(&stranger)
        .send()
        .await
        .unwrap();
    assert_problem(response, 403, "forbidden").await;

    // The export for the records system lists every file with its SHA-256.
    let export = get_json(
        app,
        &officer,
        &format!("/v1/units/{ZONE}/filings/{id}/export?justification=PV&format=json"),
    )
    .await;
    let fields = export["fields"].as_array().unwrap();
    let value = |key: &str| {
        fields
            .iter()
            .find(|f| f["key"] == key)
            .map(|f| f["value"].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(value("attachments.1.sha256"), sha256(&jpeg));
    assert_eq!(value("attachments.1.name"), "bike.jpg");
    assert_eq!(value("attachments.4.sha256"), sha256(&second));

    // The audit trail: each collection with the original's hash, each download.
    app.wait_sealed().await;
    let events = audit_events(app);
    let collected: Vec<_> = events
        .iter()
        .filter(|e| e.operation == domain::audit::AuditOperation::Collection)
        .filter(|e| e.object_type == "attachment")
        .collect();
    assert_eq!(collected.len(), 4);
    let photo_event = collected
        .iter()
        .find(|e| e.object_id.as_deref() == Some(photo.as_str()))
        .unwrap();
    assert_eq!(photo_event.action, "collect_attachment");
    assert_eq!(
        photo_event.justification.as_deref(),
        Some(format!("sha256={}; filing={id}", sha256(&jpeg)).as_str())
    );
    assert!(collected.iter().any(|e| e.action == "collect_supplement"));
    assert!(events
        .iter()
        .any(|e| e.action == "add_supplement" && e.object_type == "supplement"));
    for action in ["download_original", "download_viewing_copy"] {
        let downloads: Vec<_> = events
            .iter()
            .filter(|e| e.action == action && e.object_id.as_deref() == Some(photo.as_str()))
            .collect();
        assert_eq!(downloads.len(), 1, "{action}");
        assert_eq!(
            downloads[0].operation,
            domain::audit::AuditOperation::Consultation
        );
        assert_eq!(downloads[0].actor.role, domain::audit::ActorRole::Officer);
        assert_eq!(downloads[0].actor.unit.as_deref(), Some(ZONE));
    }
}

fn local_dir(app: &TestApp) -> Option<std::path::PathBuf> {
    let dir = app.data_dir().join("evidence");
    dir.join("attachments").is_dir().then_some(dir)
}

#[tokio::test]
async fn attachments_on_the_local_store() {
    let app = spawn_app_with(|_| {}).await;
    attachments_on(&app).await;
    assert!(
        local_dir(&app).is_some(),
        "the local store is under the data folder"
    );
}

/// Starts a tus upload of `length` bytes on filing `id`.
async fn tus_create(app: &TestApp, token: &str, id: &str, length: usize) -> reqwest::Response {
    let uploads = app.url(&format!("/v1/filings/{id}/uploads"));
    let request = app.client.post(uploads).bearer_auth(token);
    let request = request.header("Tus-Resumable", "1.0.0");
    let request = request.header("Upload-Length", length.to_string());
    request.send().await.unwrap()
}

/// Sends `bytes` at `offset` of the tus upload at `location`.
async fn tus_patch(
    app: &TestApp,
    token: &str,
    location: &str,
    offset: usize,
    bytes: &[u8],
) -> reqwest::Response {
    let request = app.client.patch(location).bearer_auth(token);
    let request = request.header("Tus-Resumable", "1.0.0");
    let request = request.header("Content-Type", "application/offset+octet-stream");
    let request = request.header("Upload-Offset", offset.to_string());
    request.body(bytes.to_vec()).send().await.unwrap()
}

/// The folders under `dir` that hold nothing.
fn empty_folders(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut empty = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if std::fs::read_dir(&path).unwrap().next().is_none() {
                empty.push(path);
            } else {
                empty.extend(empty_folders(&path));
            }
        }
    }
    empty
}

/// Deleting objects from the local store removes the folders they leave empty, up to
/// the store's root: a refused file's, a finished resumable upload's parts', a file
/// removed by the cleanup job (they stayed, one empty folder per object, for ever).
#[tokio::test]
async fn deleted_objects_leave_no_empty_folders_in_the_local_store() {
    let app = spawn_app_with(|_| {}).await;
    let (alice, id) = alice_with_draft(&app).await;
    let files = format!("/v1/filings/{id}/attachments");
    // A file kept, and a refused one: stored while received, then deleted.
    for (bytes, status) in [(pdf(), 201), (elf(), 422)] {
        let form =
            reqwest::multipart::Form::new().part("file", part(bytes, "a.pdf", "application/pdf"));
        let response = upload(&app, Some(&alice), &files, form).await;
        assert_eq!(response.status(), status);
    }
    // A resumable upload in two parts, finished: its parts are deleted.
    let file = pdf();
    let response = tus_create(&app, &alice, &id, file.len()).await;
    assert_eq!(response.status(), 201);
    let location = app.url(response.headers()["location"].to_str().unwrap());
    let half = file.len() / 2;
    for (offset, bytes) in [(0, &file[..half]), (half, &file[half..])] {
        let response = tus_patch(&app, &alice, &location, offset, bytes).await;
        assert_eq!(response.status(), 204);
    }
    let dir = app.data_dir().join("evidence");
    assert_eq!(empty_folders(&dir), Vec::<std::path::PathBuf>::new());
    assert!(dir.join("attachments").is_dir(), "the kept files stay");
    assert!(dir.is_dir(), "the root stays");
}

/// A real S3-compatible server: `python -m moto.server` (PyPI `moto[server]`, pinned in
/// `.ci/run`), on a free port, stopped when dropped.
pub(crate) struct S3Server {
    child: std::process::Child,
    pub(crate) endpoint: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn s3_server() -> S3Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let python = tests::python::python();
    let child = std::process::Command::new(&python)
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run {python} -m moto.server (tests/requirements.txt): {e}")
        });
    let server = S3Server {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Ok(r) = client
            .put(format!("{}/evidence", server.endpoint))
            .send()
            .await
        {
            assert!(r.status().is_success(), "create the bucket: {}", r.status());
            break;
        }
        assert!(std::time::Instant::now() < deadline, "moto did not start");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    server
}

pub(crate) fn use_s3(settings: &mut Settings, endpoint: &str) {
    settings.evidence.store = api::config::StoreKind::S3;
    settings.evidence.s3.bucket = "evidence".into();
    settings.evidence.s3.endpoint = Some(endpoint.to_owned());
    settings.evidence.s3.allow_http = true;
    settings.evidence.s3.path_style = true;
    settings.evidence.s3.access_key_id = Some("testing".into());
    settings.evidence.s3.secret_access_key = Some("testing".into());
}

#[tokio::test]
async fn attachments_on_an_s3_compatible_store() {
    let s3 = s3_server().await;
    let endpoint = s3.endpoint.clone();
    let app = spawn_app_with(move |s| use_s3(s, &endpoint)).await;
    attachments_on(&app).await;
    assert!(local_dir(&app).is_none(), "nothing was written locally");
    // The objects are in the bucket, encrypted.
    let listing = reqwest::get(format!("{}/evidence?list-type=2", s3.endpoint))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(listing.contains("attachments/"), "{listing}");
}

/// Uploads bound for S3 arrive into a spool file first (an S3 part is at least 5 MiB;
/// docs/EVIDENCE.md, Memory), and nothing stays there: after a file accepted (and then
/// read back whole from the bucket) and one refused, the spool folder is empty.
#[tokio::test]
async fn the_s3_spool_keeps_nothing() {
    let s3 = s3_server().await;
    let endpoint = s3.endpoint.clone();
    let app = spawn_app_with(move |s| use_s3(s, &endpoint)).await;
    let alice = app
        .dev_token(json!({"kind": "citizen", "subject": "alice"}))
        .await;
    let id = draft(&app, &alice).await;
    let base = format!("/v1/filings/{id}/attachments");
    // Over one S3 part (5 MiB), so that the file goes out in two.
    let text: Vec<u8> = b"Spooled evidence line.\n"
        .iter()
        .copied()
        .cycle()
        .take(6 * 1024 * 1024)
        .collect();
    let form =
        reqwest::multipart::Form::new().part("file", part(text.clone(), "notes.txt", "text/plain"));
    let response = upload(&app, Some(&alice), &base, form).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["items"][0]["sha256"], sha256(&text));
    let file = created["items"][0]["id"].as_str().unwrap();
    let (status, back) = get_bytes(&app, &alice, &format!("{base}/{file}/content")).await;
    assert_eq!(status, 200);
    assert!(back == text, "the file reads back whole from the bucket");
    let html = b"<!DOCTYPE html><html><body>not a photo</body></html>".to_vec();
    let form = reqwest::multipart::Form::new().part("file", part(html, "photo.jpg", "image/jpeg"));
    let refused = upload(&app, Some(&alice), &base, form).await;
    assert!(refused.status().is_client_error(), "{}", refused.status());
    let spool = app.data_dir().join("evidence-spool");
    assert!(spool.is_dir(), "the spool folder is made at start-up");
    let left: Vec<_> = std::fs::read_dir(&spool).unwrap().collect();
    assert!(left.is_empty(), "the spool keeps nothing: {left:?}");
}

/// Limits: a file over the per-file limit and a filing full are 413, with nothing kept.
async fn limits_on(app: &TestApp) {
    let alice = app
        .dev_token(json!({"kind": "citizen", "subject": "alice"}))
        .await;
    let id = draft(app, &alice).await;
    let base = format!("/v1/filings/{id}/attachments");
    let big = vec![b'a'; 200 * 1024];
    let form = reqwest::multipart::Form::new().part("file", part(big, "big.txt", "text/plain"));
    let body = assert_problem(
        upload(app, Some(&alice), &base, form).await,
        413,
        "attachment_too_large",
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("big.txt"));
    let form = reqwest::multipart::Form::new()
        .part("file", part(b"one\n".to_vec(), "1.txt", "text/plain"))
        .part("file", part(b"two\n".to_vec(), "2.txt", "text/plain"))
        .part("file", part(b"three\n".to_vec(), "3.txt", "text/plain"));
    assert_problem(
        upload(app, Some(&alice), &base, form).await,
        413,
        "attachments_limit_reached",
    )
    .await;
    let listed = get_json(app, &alice, &base).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 0);
    let form = reqwest::multipart::Form::new()
        .part("file", part(b"one\n".to_vec(), "1.txt", "text/plain"))
        .part("file", part(b"two\n".to_vec(), "2.txt", "text/plain"));
    assert_eq!(upload(app, Some(&alice), &base, form).await.status(), 201);
    // Not multipart, or nothing sent.
    let response = app
        .client
        .post(app.url(&base))
        .bearer_auth(&alice)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 415, "unsupported_media_type").await;
}

fn small_limits(settings: &mut Settings) {
    settings.evidence.max_file_bytes = 100 * 1024;
    settings.evidence.max_files_per_filing = 2;
}

#[tokio::test]
async fn oversized_files_and_full_filings_are_413() {
    let app = spawn_app_with(small_limits).await;
    limits_on(&app).await;
}

#[tokio::test]
async fn oversized_files_and_full_filings_are_413_on_s3() {
    let s3 = s3_server().await;
    let endpoint = s3.endpoint.clone();
    let app = spawn_app_with(move |s| {
        small_limits(s);
        use_s3(s, &endpoint)
    })
    .await;
    limits_on(&app).await;
}

#[tokio::test]
async fn the_default_limit_is_ten_megabytes() {
    let app = spawn_app_with(|_| {}).await;
    let alice = app
        .dev_token(json!({"kind": "citizen", "subject": "alice"}))
        .await;
    let id = draft(&app, &alice).await;
    let big = vec![b'a'; 10 * 1024 * 1024 + 1];
    let form = reqwest::multipart::Form::new().part("file", part(big, "big.txt", "text/plain"));
    let response = upload(
        &app,
        Some(&alice),
        &format!("/v1/filings/{id}/attachments"),
        form,
    )
    .await;
    let body = assert_problem(response, 413, "attachment_too_large").await;
    assert!(
        body["detail"].as_str().unwrap().contains("10485760"),
        "{body}"
    );
}

/// The resident set of this process, in KiB (the service runs in it).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_decompression_bomb_is_refused_from_its_header_without_decoding() {
    let app = spawn_app_with(|_| {}).await;
    let alice = app
        .dev_token(json!({"kind": "citizen", "subject": "alice"}))
        .await;
    let id = draft(&app, &alice).await;
    let before = rss_kib();
    let form =
        reqwest::multipart::Form::new().part("file", part(png_bomb(), "bomb.png", "image/png"));
    let response = upload(
        &app,
        Some(&alice),
        &format!("/v1/filings/{id}/attachments"),
        form,
    )
    .await;
    let body = assert_problem(response, 422, "attachment_refused").await;
    assert!(body["detail"].as_str().unwrap().contains("bomb.png"));
    // Decoding would take 40 GB; the process grew by far less than one (other tests of
    // the suite share the process, hence the margin).
    let grown = rss_kib().saturating_sub(before);
    assert!(grown < 1024 * 1024, "grew by {grown} KiB");
}

#[tokio::test]
async fn closed_filings_take_no_files() {
    let app = spawn_app_with(|_| {}).await;
    let alice = app
        .dev_token(json!({"kind": "citizen", "subject": "alice"}))
        .await;
    let id = draft(&app, &alice).await;
    let response = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/withdraw")))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let form =
        reqwest::multipart::Form::new().part("file", part(pdf(), "x.pdf", "application/pdf"));
    assert_problem(
        upload(
            &app,
            Some(&alice),
            &format!("/v1/filings/{id}/attachments"),
            form,
        )
        .await,
        409,
        "evidence_not_accepted",
    )
    .await;
}

#[tokio::test]
async fn an_upload_link_takes_files_without_an_account_and_shows_nothing() {
    let app = spawn_app_with(|_| {}).await;
    let alice = app
        .dev_token(json!({"kind": "citizen", "subject": "alice"}))
        .await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}))
        .await;
    let id = draft(&app, &alice).await;
    submit(&app, &alice, &id).await;
    let links = format!("/v1/units/{ZONE}/filings/{id}/upload-links");
    let response = app
        .client
        .post(app.url(&links))
        .bearer_auth(&officer)
        .json(&json!({"expires_in_hours": 24}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let link: Value = response.json().await.unwrap();
    assert_eq!(link["max_uses"], 1);
    let token = link["token"].as_str().unwrap().to_owned();
    let path = link["upload_path"].as_str().unwrap().to_owned();
    assert_eq!(path, format!("/v1/upload-links/{token}/files"));

    // It takes files only: a `text` part is 422 at `/text` (the contract's `LinkUpload`
    // has no `text`: found by schemathesis), and a refused request uses nothing up.
    let form = reqwest::multipart::Form::new().text("text", "Was anyone injured?");
    let problem = assert_problem(
        upload(&app, None, &path, form).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["pointer"], "/text");
    assert_eq!(problem["errors"][0]["code"], "not_allowed");

    // No account: the token is the only credential.
    let jpeg = jpeg_with_gps();
    let form =
        reqwest::multipart::Form::new().part("file", part(jpeg.clone(), "w.jpg", "image/jpeg"));
    let response = upload(&app, None, &path, form).await;
    assert_eq!(response.status(), 201);
    let received: Value = response.json().await.unwrap();
    assert_eq!(received["items"][0]["sha256"], sha256(&jpeg));
    assert_eq!(
        received["items"][0]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["file_name", "media_type", "sha256", "size"]
    );
    // Single use.
    let form =
        reqwest::multipart::Form::new().part("file", part(pdf(), "x.pdf", "application/pdf"));
    assert_problem(
        upload(&app, None, &path, form).await,
        404,
        "upload_link_not_found",
    )
    .await;
    // It reads nothing: the filing's routes want an account, the link's path only takes
    // uploads, and an invented token is unknown.
    let response = app.get(&format!("/v1/filings/{id}/attachments")).await;
    assert_eq!(response.status(), 401);
    let response = app.get(&path).await;
    assert_eq!(response.status(), 405);
    let form =
        reqwest::multipart::Form::new().part("file", part(pdf(), "x.pdf", "application/pdf"));
    assert_problem(
        upload(&app, None, "/v1/upload-links/not-a-token/files", form).await,
        404,
        "upload_link_not_found",
    )
    .await;

    // The unit sees the file, from a link, with a new-information marker.
    let evidence = get_json(
        &app,
        &officer,
        &format!("/v1/units/{ZONE}/filings/{id}/attachments"),
    )
    .await;
    assert_eq!(evidence["attachments"][0]["origin"], "upload_link");
    assert_eq!(evidence["attachments"][0]["sent_by_role"], "link_holder");
    let queue = get_json(&app, &officer, &format!("/v1/units/{ZONE}/filings")).await;
    assert_eq!(queue["items"][0]["new_information"], true);
    // Alice does not see what a witness sent.
    let own = get_json(&app, &alice, &format!("/v1/filings/{id}/attachments")).await;
    assert_eq!(own["items"].as_array().unwrap().len(), 0);

    // A second link, revoked before use.
    let second: Value = app
        .client
        .post(app.url(&links))
        .bearer_auth(&officer)
        .json(&json!({"max_uses": 3}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let response = app
        .client
        .delete(app.url(&format!("{links}/{}", second["id"].as_str().unwrap())))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let form =
        reqwest::multipart::Form::new().part("file", part(pdf(), "x.pdf", "application/pdf"));
    let second_path = second["upload_path"].as_str().unwrap();
    assert_problem(
        upload(&app, None, second_path, form).await,
        404,
        "upload_link_not_found",
    )
    .await;
    let listed = get_json(&app, &officer, &links).await;
    let states: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["revoked", "used_up"]);
    assert!(listed["items"][0].get("token").is_none());
    // Out of range.
    let response = app
        .client
        .post(app.url(&links))
        .bearer_auth(&officer)
        .json(&json!({"max_uses": 0}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 422, "validation_failed").await;

    // Creation, use and revocation are audited.
    app.wait_sealed().await;
    let events = audit_events(&app);
    for action in [
        "create_upload_link",
        "revoke_upload_link",
        "collect_via_upload_link",
    ] {
        assert!(events.iter().any(|e| e.action == action), "{action}");
    }
    let used = events
        .iter()
        .find(|e| e.action == "collect_via_upload_link")
        .unwrap();
    assert_eq!(used.actor.role, domain::audit::ActorRole::LinkHolder);
    assert_eq!(
        used.actor.id,
        format!("upload_link:{}", link["id"].as_str().unwrap())
    );
}

#[tokio::test]
async fn the_cleanup_removes_what_a_crash_leaves_and_nothing_else() {
    let app = spawn_app_with(|s| {
        s.evidence.cleanup_grace_secs = 60;
        s.evidence.cleanup_interval_secs = 1;
    })
    .await;
    let alice = app
        .dev_token(json!({"kind": "citizen", "subject": "alice"}))
        .await;
    let id = draft(&app, &alice).await;
    let base = format!("/v1/filings/{id}/attachments");
    let form =
        reqwest::multipart::Form::new().part("file", part(pdf(), "kept.pdf", "application/pdf"));
    let kept: Value = upload(&app, Some(&alice), &base, form)
        .await
        .json()
        .await
        .unwrap();
    let kept = kept["items"][0]["id"].as_str().unwrap().to_owned();
    let store = app.data_dir().join("evidence").join("attachments");

    // A crash after writing an object and before its row (an orphan object), and a crash
    // after the row and the object but before completion (an incomplete row), both an
    // hour old; and a fresh orphan, still within the grace period.
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let plant = |name: &str, age: Option<std::time::SystemTime>| {
        let dir = store.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("original");
        std::fs::copy(store.join(&kept).join("original"), &file).unwrap();
        if let Some(at) = age {
            std::fs::File::options()
                .write(true)
                .open(&file)
                .unwrap()
                .set_modified(at)
                .unwrap();
        }
        file
    };
    let orphan = plant("0192f3c4-0000-7000-8000-000000000001", Some(old));
    let incomplete = plant("0192f3c4-0000-7000-8000-000000000002", Some(old));
    let fresh = plant("0192f3c4-0000-7000-8000-000000000003", None);
    {
        let pool = app.db.pool();
        let mut conn = pool.get().unwrap();
        persistence::evidence::insert_incomplete(
            &mut conn,
            &persistence::evidence::NewAttachment {
                id: "0192f3c4-0000-7000-8000-000000000002".into(),
                filing_id: id.clone(),
                origin: domain::evidence::Origin::Attachment,
                file_name: "crashed.pdf".into(),
                key_id: "k".into(),
                data_key: "k".into(),
                uploaded_by_role: "citizen".into(),
                uploaded_by: "alice".into(),
                link_id: None,
                created_at: chrono::Utc::now() - chrono::Duration::hours(1),
            },
        )
        .unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while orphan.exists() || incomplete.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the cleanup did not run"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    {
        let pool = app.db.pool();
        let mut conn = pool.get().unwrap();
        let left = persistence::evidence::existing(
            &mut conn,
            &[
                "0192f3c4-0000-7000-8000-000000000002".to_owned(),
                kept.clone(),
            ],
        )
        .unwrap();
        assert!(left.len() == 1 && left.contains(&kept), "{left:?}");
    }
    assert!(fresh.exists(), "within the grace period: kept");
    let (status, bytes) = get_bytes(&app, &alice, &format!("{base}/{kept}/content")).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, pdf());
}

/// tus 1.0: an upload cut in the middle is resumed from the offset the server tells, and
/// the file stored is exactly the one sent.
async fn resumable_on(app: &TestApp) {
    use base64::Engine;
    let alice = app
        .dev_token(json!({"kind": "citizen", "subject": "alice"}))
        .await;
    let id = draft(app, &alice).await;
    let mut file = b"%PDF-1.4\n".to_vec();
    file.extend((0..700_000u32).map(|i| b'a' + (i % 26) as u8));
    file.extend_from_slice(b"\n%%EOF\n");
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let response = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/uploads")))
        .bearer_auth(&alice)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", file.len().to_string())
        .header(
            "Upload-Metadata",
            format!(
                "filename {},filetype {}",
                b64("scan.pdf"),
                b64("application/pdf")
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let offset_of = |r: &reqwest::Response| -> u64 {
        r.headers()["upload-offset"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    let patch = |offset: u64, body: reqwest::Body| {
        app.client
            .patch(app.url(&location))
            .bearer_auth(&alice)
            .header("Tus-Resumable", "1.0.0")
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
            .body(body)
            .send()
    };
    // A first part.
    let response = patch(0, file[..200_000].to_vec().into()).await.unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(offset_of(&response), 200_000);
    // A second one, cut in the middle: the request announces the rest of the file, 100 kB
    // of it arrive, then the connection is closed (a raw TCP client, so that the bytes are
    // on the wire before the cut).
    {
        use tokio::io::AsyncWriteExt;
        let url = reqwest::Url::parse(&app.url(&location)).unwrap();
        let address = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
        let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
        let head = format!(
            "PATCH {} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {alice}\r\n\
             Tus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\n\
             Upload-Offset: 200000\r\nContent-Length: {}\r\n\r\n",
            url.path(),
            url.host_str().unwrap(),
            file.len() - 200_000
        );
        socket.write_all(head.as_bytes()).await.unwrap();
        socket.write_all(&file[200_000..300_000]).await.unwrap();
        socket.flush().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        drop(socket);
    }
    // Where does it stand? (HEAD, as tus clients ask.)
    let mut offset = 0;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let head = app
            .client
            .head(app.url(&location))
            .bearer_auth(&alice)
            .header("Tus-Resumable", "1.0.0")
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 200);
        assert_eq!(
            head.headers()["upload-length"],
            file.len().to_string().as_str()
        );
        let now = offset_of(&head);
        if now == offset && now >= 200_000 {
            break;
        }
        offset = now;
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    // What arrived of the cut request is kept (tus: the server keeps the bytes it
    // received), not only the first request's.
    assert!((200_001..=300_000).contains(&offset), "{offset}");
    // A wrong offset is refused with the right one.
    let response = patch(0, b"xx".to_vec().into()).await.unwrap();
    let body = assert_problem(response, 409, "upload_offset_mismatch").await;
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains(&offset.to_string()));
    // The rest, from there.
    let response = patch(offset, file[offset as usize..].to_vec().into())
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(offset_of(&response), file.len() as u64);
    let attachment = response.headers()["attachment-location"]
        .to_str()
        .unwrap()
        .to_owned();
    let (status, stored) = get_bytes(app, &alice, &attachment).await;
    assert_eq!(status, 200);
    assert_eq!(sha256(&stored), sha256(&file));
    let listed = get_json(app, &alice, &format!("/v1/filings/{id}/attachments")).await;
    assert_eq!(listed["items"][0]["sha256"], sha256(&file));
    assert_eq!(listed["items"][0]["file_name"], "scan.pdf");
    // The upload is over.
    let head = app
        .client
        .head(app.url(&location))
        .bearer_auth(&alice)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 404);
}

#[tokio::test]
async fn a_resumable_upload_cut_in_the_middle_resumes_and_matches() {
    let app = spawn_app_with(|_| {}).await;
    resumable_on(&app).await;
}

#[tokio::test]
async fn a_resumable_upload_cut_in_the_middle_resumes_and_matches_on_s3() {
    let s3 = s3_server().await;
    let endpoint = s3.endpoint.clone();
    let app = spawn_app_with(move |s| use_s3(s, &endpoint)).await;
    resumable_on(&app).await;
}

/// Sends `body` as it is, with `content_type`, and returns the answer.
async fn raw_upload(
    app: &TestApp,
    token: Option<&str>,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body.to_vec());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// Malformed multipart bodies (reported by schemathesis: a body without a boundary closed
/// the connection without an answer, as `actix_multipart` panicked when read again after
/// its error). Each is a 400 problem, on the citizen's route and on an upload link, and
/// loses nothing: no file is kept, the link is not used up.
#[tokio::test]
async fn malformed_multipart_bodies_are_400_and_keep_nothing() {
    let app = spawn_app_with(|_| {}).await;
    let alice = app
        .dev_token(json!({"kind": "citizen", "subject": "alice"}))
        .await;
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-1", "units": [ZONE]}))
        .await;
    let id = draft(&app, &alice).await;
    let files = format!("/v1/filings/{id}/attachments");
    let with_boundary = "multipart/form-data; boundary=XX";
    let cases: [(&str, &[u8]); 5] = [
        ("multipart/form-data", b"garbage"),
        ("multipart/form-data", b"--XX\r\n\r\nhello\r\n--XX--\r\n"),
        (with_boundary, b"garbage"),
        (
            with_boundary,
            b"--XX\r\nContent-Disposition: form-data; name=\"fi\x01le\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XX--\r\n",
        ),
        (
            with_boundary,
            b"--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello, cut",
        ),
    ];
    for (content_type, body) in cases {
        let response = raw_upload(&app, Some(&alice), &files, content_type, body).await;
        assert_problem(response, 400, "bad_request").await;
    }
    // The service still answers on the same client, and nothing was kept.
    let listed = get_json(&app, &alice, &files).await;
    assert_eq!(listed["items"], json!([]));

    submit(&app, &alice, &id).await;
    let response = app
        .client
        .post(app.url(&format!("/v1/units/{ZONE}/filings/{id}/upload-links")))
        .bearer_auth(&officer)
        .json(&json!({"expires_in_hours": 24}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let link: Value = response.json().await.unwrap();
    let path = link["upload_path"].as_str().unwrap().to_owned();
    for (content_type, body) in cases {
        let response = raw_upload(&app, None, &path, content_type, body).await;
        assert_problem(response, 400, "bad_request").await;
    }
    let form =
        reqwest::multipart::Form::new().part("file", part(pdf(), "x.pdf", "application/pdf"));
    assert_eq!(upload(&app, None, &path, form).await.status(), 201);
}

/// Reported by schemathesis: a supplement's `text` part took a C1 control character that
/// a JSON body's string would not (the intake rule for text applies to it too, and it is
/// kept normalised), and an `Upload-Length` beyond 2^63 - 1 (not an `int64`) was a 413
/// instead of the 400 of a malformed header. Nothing is kept from a refused request.
#[tokio::test]
async fn supplement_text_and_upload_lengths_follow_the_intake_rules() {
    let app = spawn_app_with(|_| {}).await;
    let alice = app
        .dev_token(json!({"kind": "citizen", "subject": "alice"}))
        .await;
    let id = draft(&app, &alice).await;
    submit(&app, &alice, &id).await;
    let files = format!("/v1/filings/{id}/attachments");
    let form = reqwest::multipart::Form::new()
        .text("text", "The receipt \u{9a}attached")
        .part("file", part(pdf(), "r.pdf", "application/pdf"));
    let problem = assert_problem(
        upload(&app, Some(&alice), &files, form).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["pointer"], "/text");
    assert_eq!(problem["errors"][0]["code"], "invalid_character");
    assert_eq!(get_json(&app, &alice, &files).await["items"], json!([]));

    let form = reqwest::multipart::Form::new()
        .text("text", "Line one\r\nline two")
        .part("file", part(pdf(), "r.pdf", "application/pdf"));
    assert_eq!(upload(&app, Some(&alice), &files, form).await.status(), 201);

    // A supplement may be its text alone (the contract's `file` is optional for it:
    // found by schemathesis); a request with nothing in it is 422 at `/file`.
    let form = reqwest::multipart::Form::new().text("text", "The bell was red.");
    let response = upload(&app, Some(&alice), &files, form).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.json::<Value>().await.unwrap()["items"], json!([]));
    let officer = app
        .dev_token(json!({"kind": "officer", "subject": "o-text", "units": [ZONE]}))
        .await;
    let unit_files = format!("/v1/units/{ZONE}/filings/{id}/attachments");
    let texts: Vec<Value> = get_json(&app, &officer, &unit_files).await["supplements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].clone())
        .collect();
    assert!(texts.contains(&json!("The bell was red.")), "{texts:?}");
    let form = reqwest::multipart::Form::new().text("text", "  ");
    let problem = assert_problem(
        upload(&app, Some(&alice), &files, form).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["pointer"], "/file");

    for length in ["9223372036854775808", "-1", "x"] {
        let response = app
            .client
            .post(app.url(&format!("/v1/filings/{id}/uploads")))
            .bearer_auth(&alice)
            .header("Upload-Length", length)
            .header("Tus-Resumable", "1.0.0")
            .send()
            .await
            .unwrap();
        assert_problem(response, 400, "invalid_header").await;
    }
}

/// tus 1.0.0 core protocol: every request but `OPTIONS` carries `Tus-Resumable`; one
/// without it, or naming another version, is 412 with `Tus-Version` (it was served, or
/// 400 for another version). A malformed `Upload-Metadata` pair (not base64, a name
/// that is not UTF-8, an empty or repeated key, two spaces) is 400 naming its key (it
/// was dropped silently: the file was stored as "file").
#[tokio::test]
async fn tus_requests_need_their_version_and_well_formed_metadata() {
    use base64::Engine;
    let app = spawn_app_with(|_| {}).await;
    let (alice, id) = alice_with_draft(&app).await;
    let uploads = app.url(&format!("/v1/filings/{id}/uploads"));
    let create = |version: Option<&str>, metadata: Option<String>| {
        let mut request = app
            .client
            .post(&uploads)
            .bearer_auth(&alice)
            .header("Upload-Length", "10");
        if let Some(v) = version {
            request = request.header("Tus-Resumable", v);
        }
        if let Some(m) = metadata {
            request = request.header("Upload-Metadata", m);
        }
        request.send()
    };
    for version in [None, Some("0.2.2"), Some("1.0.0, 0.2.2")] {
        let response = create(version, None).await.unwrap();
        assert_eq!(response.headers()["tus-version"], "1.0.0", "{version:?}");
        assert_problem(response, 412, "tus_version_unsupported").await;
    }
    let b64 = |s: &[u8]| base64::engine::general_purpose::STANDARD.encode(s);
    let response = create(
        Some("1.0.0"),
        Some(format!(
            "filename {},is_confidential,blob {}",
            b64(b"scan.pdf"),
            b64(&[0xff, 0xfe])
        )),
    )
    .await
    .unwrap();
    assert_eq!(
        response.status(),
        201,
        "a key without value, a binary value"
    );
    let location = app.url(response.headers()["location"].to_str().unwrap());
    // HEAD, GET and PATCH without the header: 412 (HEAD without a body).
    let without =
        |method: reqwest::Method| app.client.request(method, &location).bearer_auth(&alice);
    let head = without(reqwest::Method::HEAD).send().await.unwrap();
    assert_eq!(head.status(), 412);
    assert_eq!(head.headers()["tus-version"], "1.0.0");
    let get = without(reqwest::Method::GET).send().await.unwrap();
    assert_problem(get, 412, "tus_version_unsupported").await;
    let patch = without(reqwest::Method::PATCH)
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "0")
        .body("0123456789")
        .send()
        .await
        .unwrap();
    assert_problem(patch, 412, "tus_version_unsupported").await;
    // OPTIONS is exempt: whatever it answers, it is not a version refusal.
    let options = app.client.request(reqwest::Method::OPTIONS, &location);
    assert_ne!(options.send().await.unwrap().status(), 412);
    // Nothing was appended by the refused PATCH.
    let head = without(reqwest::Method::HEAD)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["upload-offset"], "0");

    for (metadata, key) in [
        ("filename %%not-base64%%".to_owned(), "filename"),
        (format!("filename {}", b64(&[0x66, 0xff])), "filename"),
        (format!("filetype {}", b64(&[0xc3])), "filetype"),
        (
            format!("filename {},filename {}", b64(b"a"), b64(b"b")),
            "filename",
        ),
        (format!("filename {},,", b64(b"a")), ""),
        (format!("filename  {}", b64(b"a")), "filename"),
    ] {
        let response = create(Some("1.0.0"), Some(metadata.clone())).await.unwrap();
        let problem = assert_problem(response, 400, "invalid_upload_metadata").await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(&format!("“{key}”")), "{metadata}: {detail}");
    }
    // An empty header is no metadata, as its absence (found by schemathesis: `Upload-Metadata;`
    // was a 400 naming the pair “”).
    for empty in ["", " "] {
        let response = create(Some("1.0.0"), Some(empty.to_owned())).await.unwrap();
        assert_eq!(response.status(), 201, "{empty:?}");
    }
    // The contract's pattern and the service agree (found by schemathesis: a key with a
    // tab was schema-valid and refused); the unused bits of base64's last symbol are
    // ignored. Uniqueness and UTF-8 are in words, not in the pattern.
    let schema = json!({"type": "string",
                        "pattern": api::routes::evidence::uploads::UPLOAD_METADATA_PATTERN});
    let pattern = jsonschema::validator_for(&schema).unwrap();
    for (metadata, valid) in [
        (format!("filename {}", b64(b"a.pdf")), true),
        (
            format!(
                " filename {} , filetype {} ",
                b64(b"a.pdf"),
                b64(b"application/pdf")
            ),
            true,
        ),
        ("is_confidential,filename YR==".to_owned(), true),
        ("k\tey YQ==".to_owned(), false),
        ("key YQ".to_owned(), false),
        ("key  YQ==".to_owned(), false),
        ("a,,b".to_owned(), false),
    ] {
        assert_eq!(
            pattern.is_valid(&json!(metadata)),
            valid,
            "pattern: {metadata:?}"
        );
        let response = create(Some("1.0.0"), Some(metadata.clone())).await.unwrap();
        let status = response.status();
        assert_eq!(status == 201, valid, "service: {metadata:?} {status}");
    }
}

/// Sends `head` and `body` on a raw connection, then nothing more; the answer's status
/// line (or what was read when the connection ended) and how long it took.
async fn stall(app: &TestApp, head: String, body: &[u8]) -> (String, std::time::Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let started = std::time::Instant::now();
    let mut socket = tokio::net::TcpStream::connect(format!("127.0.0.1:{}", app.port))
        .await
        .unwrap();
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(body).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let read = tokio::time::timeout(std::time::Duration::from_secs(30), socket.read(&mut answer))
        .await
        .expect("an answer within 30 s")
        .unwrap();
    let text = String::from_utf8_lossy(&answer[..read]).to_string();
    (text, started.elapsed())
}

/// Reported by a newcomer's trial: an upload whose body stalls (fewer bytes than its
/// Content-Length, then nothing) held its connection for ever, where a JSON body gets 408
/// after `server.body_timeout_secs`. Now multipart uploads and tus PATCHes answer 408
/// `request_timeout` too (an idle timeout: here 1 s), keep no half file, and a PATCH keeps
/// what arrived. A second `text` part is 422, not silently dropped.
#[tokio::test]
async fn stalled_upload_bodies_are_408_and_a_second_text_part_is_refused() {
    let app = spawn_app_with(|s| s.server.body_timeout_secs = 1).await;
    let alice = app
        .dev_token(json!({"kind": "citizen", "subject": "alice"}))
        .await;
    let id = draft(&app, &alice).await;
    let files = format!("/v1/filings/{id}/attachments");
    let body =
        b"--QQ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nabc";
    let head = format!(
        "POST {files} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {alice}\r\n\
         Content-Type: multipart/form-data; boundary=QQ\r\nContent-Length: 1000\r\n\r\n"
    );
    let (answer, took) = stall(&app, head, body).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
    assert_eq!(get_json(&app, &alice, &files).await["items"], json!([]));

    // A tus PATCH that stalls: 408, and the bytes that came are kept.
    let created = app
        .client
        .post(app.url(&format!("/v1/filings/{id}/uploads")))
        .bearer_auth(&alice)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "100")
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let head = format!(
        "PATCH {location} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {alice}\r\n\
         Tus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\n\
         Upload-Offset: 0\r\nContent-Length: 100\r\n\r\n"
    );
    let (answer, _) = stall(&app, head, b"%PDF-").await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let status = app
        .client
        .head(app.url(&location))
        .bearer_auth(&alice)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(status.headers()["upload-offset"], "5");

    // Two text parts on a supplement.
    submit(&app, &alice, &id).await;
    let form = reqwest::multipart::Form::new()
        .text("text", "first")
        .text("text", "second")
        .part("file", part(pdf(), "r.pdf", "application/pdf"));
    let problem = assert_problem(
        upload(&app, Some(&alice), &files, form).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["code"], "duplicate_key");
    assert_eq!(get_json(&app, &alice, &files).await["items"], json!([]));
}
