-- The baseline of issue 14: only the rows one citizen submission writes (the filing, its
-- two history entries, the two idempotency records, the two audit events and their places
-- in the sealer's queue), in the API's two transactions, with no lock and no read. One
-- pgbench "transaction" is one run of this script, one submission: the API's submissions
-- per second are compared with its tps (bench/report.py). Statements from submission.sql.
\set n random(1, 9000000000000000000)
\set owner random(1, 256)

BEGIN;
INSERT INTO filings (id, owner_id, procedure_code, status, version, country, declarant, language, place,
    facts_from, facts_until, facts, answers, contact, confirmation_channel, unit_id, municipality_id,
    routing, reference, created_at, updated_at, submitted_at, assigned_officer, info_request,
    info_answer, record_number, decision)
  VALUES ('pgb-' || :n, 'pgb-owner-' || :owner, 'bicycle_theft', 'draft', 1, 'BE', 'person', 'en',
    '{"municipality": null,"postal_code": null,"country": null,"lat": 50.673,"lon": 4.5687,"description": "Rack 12345"}',
    now() - interval '1 day', DEFAULT,
    '{"bicycle_locked": true,"circumstances": "Load run 1a2b3c4d, bicycle 1000000012 gone from the rack.","items": [{"brand": "Gazelle","category": "bicycle","colour": "blue","serial_number": "GZ1000000012"}]}',
    '{"exploitable_traces": false,"injury": false,"known_author": false,"ongoing_danger": false,"violence": false}',
    '{"email": "citizen1000000012@example.org","phone": null,"postal_address": null}', '"email"',
    DEFAULT, DEFAULT, DEFAULT, DEFAULT, now(), now(), DEFAULT, DEFAULT, DEFAULT, DEFAULT, DEFAULT, DEFAULT);
INSERT INTO filing_history (filing_id, occurred_at, from_status, to_status, action, actor_role, actor_id)
  VALUES ('pgb-' || :n, now(), NULL, 'draft', 'create', 'citizen', 'pgb-owner-' || :owner);
INSERT INTO idempotency_keys (caller, idempotency_key, request_fingerprint, created_at, expires_at,
    response_status, response_headers, response_body)
  VALUES ('pgb-owner-' || :owner, 'pgb-c-' || :n, encode(sha256(convert_to('c' || :n, 'UTF8')), 'hex'), now(),
    now() + interval '1 day', 201, '[["etag","\"v1\""],["location","/v1/filings/3ca9bd2a-e9b5-45fc-bfff-99f787fe403b"]]',
    '{"answers": {"exploitable_traces": false,"injury": false,"known_author": false,"ongoing_danger": false,"violence": false},"confirmation_channel": "email","contact": {"email": "a@example.org","phone": null,"postal_address": null},"country": "BE","created_at": "2026-11-22T23: 22: 28.261994Z","declarant": "person","eligibility": {"outcome": "eligible","reasons": []},"facts": {"bicycle_locked": true,"circumstances": "Load run 1a2b3c4d, bicycle 1000000012 gone from the rack.","items": [{"brand": "Gazelle","category": "bicycle","colour": "blue","serial_number": "GZ1000000012"}]},"facts_date": {"from": "2026-11-21T23: 22: 28Z","until": null},"history": [{"at": "2026-11-22T23: 22: 28.261994Z","label": "Draft","status": "draft"}],"id": "3ca9bd2a-e9b5-45fc-bfff-99f787fe403b","language": "en","next_steps": "Your complaint is sent to the police unit of the place of the theft, which registers the bicycle as stolen. You receive a confirmation by e-mail or by post.","place": {"country": null,"description": "Rack 12345","lat": 50.673,"lon": 4.5687,"municipality": null,"postal_code": null},"procedure": "bicycle_theft","procedure_name": "Complaint for bicycle theft","routing": {"candidates": [],"municipality": {"id": "BE-25121","name": "Ottignies-Louvain-la-Neuve"},"outcome": "routed","unit": {"id": "zp-ottignies-louvain-la-neuve","name": "ZP Ottignies-Louvain-la-Neuve"},"unit_next_opening": "2026-11-23T07: 00: 00Z","unit_open_now": false},"status": "draft","status_label": "Draft","updated_at": "2026-11-22T23: 22: 28.261994Z","version": 1}');
INSERT INTO audit_events (occurred_at, actor_id, actor_role, actor_unit, client_id, operation, object_type,
    object_id, justification, recipient, outcome, request_id, prev_hash, hash, action)
  VALUES (now(), 'pgb-owner-' || :owner, 'citizen', DEFAULT, 'dev-client', 'collection', 'filing', 'pgb-' || :n,
    DEFAULT, DEFAULT, 'allowed', gen_random_uuid()::text, '', '', 'create_draft') RETURNING id \gset audit_
INSERT INTO audit_pending (event_id, occurred_at) VALUES (:audit_id, now());
COMMIT;

BEGIN;
UPDATE filings SET owner_id = 'pgb-owner-' || :owner, procedure_code = 'bicycle_theft', status = 'submitted',
    version = 2, country = 'BE', declarant = 'person', language = 'en',
    place = '{"municipality": null,"postal_code": null,"country": null,"lat": 50.673,"lon": 4.5687,"description": "Rack 12345"}',
    facts_from = now() - interval '1 day', facts_until = NULL,
    facts = '{"bicycle_locked": true,"circumstances": "Load run 1a2b3c4d, bicycle 1000000012 gone from the rack.","items": [{"brand": "Gazelle","category": "bicycle","colour": "blue","serial_number": "GZ1000000012"}]}',
    answers = '{"exploitable_traces": false,"injury": false,"known_author": false,"ongoing_danger": false,"violence": false}',
    contact = '{"email": "citizen1000000012@example.org","phone": null,"postal_address": null}',
    confirmation_channel = '"email"', unit_id = 'zp-ottignies-louvain-la-neuve', municipality_id = 'BE-25121',
    routing = NULL, reference = 'PGB-' || :n, created_at = now(), updated_at = now(), submitted_at = now(),
    assigned_officer = NULL, info_request = NULL, info_answer = NULL, record_number = NULL, decision = NULL
  WHERE id = 'pgb-' || :n AND version = 1;
INSERT INTO filing_history (filing_id, occurred_at, from_status, to_status, action, actor_role, actor_id)
  VALUES ('pgb-' || :n, now(), 'draft', 'submitted', 'submit', 'citizen', 'pgb-owner-' || :owner);
INSERT INTO idempotency_keys (caller, idempotency_key, request_fingerprint, created_at, expires_at,
    response_status, response_headers, response_body)
  VALUES ('pgb-owner-' || :owner, 'pgb-s-' || :n, encode(sha256(convert_to('s' || :n, 'UTF8')), 'hex'), now(),
    now() + interval '1 day', 200, '[["etag","\"v2\""]]',
    '{"answers": {"exploitable_traces": false,"injury": false,"known_author": false,"ongoing_danger": false,"violence": false},"confirmation_channel": "email","contact": {"email": "a@example.org","phone": null,"postal_address": null},"country": "BE","created_at": "2026-11-22T23: 22: 28.261994Z","declarant": "person","eligibility": {"outcome": "eligible","reasons": []},"facts": {"bicycle_locked": true,"circumstances": "Load run 1a2b3c4d, bicycle 1000000012 gone from the rack.","items": [{"brand": "Gazelle","category": "bicycle","colour": "blue","serial_number": "GZ1000000012"}]},"facts_date": {"from": "2026-11-21T23: 22: 28Z","until": null},"history": [{"at": "2026-11-22T23: 22: 28.261994Z","label": "Draft","status": "draft"},{"at": "2026-11-22T23: 22: 28.436259Z","label": "Submitted","status": "submitted"}],"id": "3ca9bd2a-e9b5-45fc-bfff-99f787fe403b","language": "en","next_steps": "Your complaint is sent to the police unit of the place of the theft, which registers the bicycle as stolen. You receive a confirmation by e-mail or by post.","place": {"country": null,"description": "Rack 12345","lat": 50.673,"lon": 4.5687,"municipality": null,"postal_code": null},"procedure": "bicycle_theft","procedure_name": "Complaint for bicycle theft","reference": "EC-2026-V93G-73VK-Z","routing": {"candidates": [],"municipality": {"id": "BE-25121","name": "Ottignies-Louvain-la-Neuve"},"outcome": "routed","unit": {"id": "zp-ottignies-louvain-la-neuve","name": "ZP Ottignies-Louvain-la-Neuve"},"unit_next_opening": "2026-11-23T07: 00: 00Z","unit_open_now": false},"status": "submitted","status_label": "Submitted","submitted_at": "2026-11-22T23: 22: 28.436259Z","updated_at": "2026-11-22T23: 22: 28.436259Z","version": 2}');
INSERT INTO audit_events (occurred_at, actor_id, actor_role, actor_unit, client_id, operation, object_type,
    object_id, justification, recipient, outcome, request_id, prev_hash, hash, action)
  VALUES (now(), 'pgb-owner-' || :owner, 'citizen', DEFAULT, 'dev-client', 'collection', 'filing', 'pgb-' || :n,
    DEFAULT, DEFAULT, 'allowed', gen_random_uuid()::text, '', '', 'submit') RETURNING id \gset audit_
INSERT INTO audit_pending (event_id, occurred_at) VALUES (:audit_id, now());
COMMIT;
