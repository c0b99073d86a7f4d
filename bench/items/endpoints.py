#!/usr/bin/env python3
"""Items at scale over HTTP (issue 20): the real endpoints of a running (release) server
on the database seeded by bench/items/run, timed one request after another on one
keep-alive connection (Python's http.client: no third-party package), after a warm-up.

Series (each BENCH_REQUESTS requests, default 1000):
  check    POST /v1/stolen-item-checks, a seeded serial (half of them stolen items), with a
           partner client's token: its quota counter is written at each check, as in
           production (the server runs with a quota far above the run's rate)
  links    GET /v1/units/{unit}/filings/{id}/links, random submitted filings of the
           busiest unit (one in three an online scam sharing its IBAN with 19 others)
  matches  GET /v1/units/{unit}/filings/{id}/matches, random found objects of that unit:
           the candidates' read, their scoring in memory and the audit events
  file     POST /v1/partner/found-objects by a lost-property office in Luxembourg city:
           the request that creates, submits and matches a new found object against the
           open lost and stolen items (and tells the owners of the best candidates)

Usage: endpoints.py HOST:PORT PG_URL  (writes the summary to stdout, one line per series).
"""

import http.client
import json
import os
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

ADDRESS, PG = sys.argv[1], sys.argv[2]
HOST, PORT = ADDRESS.rsplit(":", 1)
N = int(os.environ.get("BENCH_REQUESTS", "1000"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "50"))
ITEMS = int(os.environ.get("BENCH_ITEMS", "1000000"))
SERIES = os.environ.get("BENCH_SERIES", "check,links,matches,file").split(",")
random.seed(42)

conn = http.client.HTTPConnection(HOST, int(PORT), timeout=30)


def call(method, path, body=None, token=None):
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    start = time.perf_counter()
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    elapsed = (time.perf_counter() - start) * 1000
    return response.status, payload, elapsed


def psql(sql):
    out = subprocess.run(["psql", "-qtA", PG, "-c", sql], check=True, capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if line]


def token(claims):
    status, payload, _ = call("POST", "/dev/tokens", claims)
    assert status == 200, payload
    return json.loads(payload)["access_token"]


def measure(name, requests, expected):
    """Runs WARMUP then N of `requests` (callables returning (status, body, ms))."""
    latencies, errors = [], {}
    for i in range(WARMUP + N):
        status, payload, ms = requests(i)
        if status != expected:
            errors[status] = errors.get(status, 0) + 1
            if len(errors) == 1 and errors[status] == 1:
                print(f"{name}: unexpected {status}: {payload[:300]!r}", file=sys.stderr)
        if i >= WARMUP:
            latencies.append(ms)
    latencies.sort()
    q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))]
    line = (f"{name}: {len(latencies)} requests, p50 {q(0.5):.2f} ms, p95 {q(0.95):.2f} ms, "
            f"p99 {q(0.99):.2f} ms, max {latencies[-1]:.2f} ms, errors {errors or 0}")
    print(line, flush=True)


unit = psql("""SELECT unit_id FROM filings WHERE submitted_at IS NOT NULL AND unit_id IS NOT NULL
               GROUP BY unit_id ORDER BY count(*) DESC LIMIT 1""")[0]
officer = token({"kind": "officer", "subject": "bench-officer", "units": [unit]})

if "check" in SERIES:
    shop = token({"kind": "citizen", "subject": "bench-shop", "client_id": "bench-shop"})
    serials = [f"SN{random.randrange(ITEMS):09d}" for _ in range(WARMUP + N)]
    measure("check", lambda i: call("POST", "/v1/stolen-item-checks",
                                    {"kind": "serial_number", "identifier": serials[i]}, shop), 200)

if "links" in SERIES:
    scams = psql(f"""SELECT id FROM filings WHERE unit_id = '{unit}' AND submitted_at IS NOT NULL
                     AND procedure_code = 'online_scam' ORDER BY random() LIMIT {WARMUP + N}""")
    others = psql(f"""SELECT id FROM filings WHERE unit_id = '{unit}' AND submitted_at IS NOT NULL
                      AND procedure_code <> 'online_scam' ORDER BY random() LIMIT {WARMUP + N}""")
    ids = [scams[i % len(scams)] if i % 3 == 0 else others[i % len(others)] for i in range(WARMUP + N)]
    measure("links", lambda i: call("GET", f"/v1/units/{unit}/filings/{ids[i]}/links", token=officer), 200)

if "matches" in SERIES:
    found = psql(f"""SELECT DISTINCT f.id FROM filings f JOIN items i ON i.filing_id = f.id
                     WHERE f.unit_id = '{unit}' AND f.submitted_at IS NOT NULL AND i.role = 'found'
                     LIMIT {WARMUP + N}""")
    measure("matches", lambda i: call("GET", f"/v1/units/{unit}/filings/{found[i % len(found)]}/matches",
                                      token=officer), 200)

if "file" in SERIES:
    admin = token({"kind": "officer", "subject": "bench-admin", "role": "admin", "units": []})
    status, payload, _ = call("POST", "/v1/partners", {
        "id": "bench-lpo", "name": "Bench lost-property office", "kind": "lost_property_office",
        "municipality": "LU-luxembourg", "client_ids": ["bench-lpo"], "scopes": ["lost_property"],
        "quota_per_minute": 100000}, admin)
    assert status in (201, 409), payload
    office = token({"kind": "citizen", "subject": "bench-lpo", "client_id": "bench-lpo"})
    categories = ["wallet", "bag", "phone", "jewellery", "bicycle", "keys"]
    brands = ["Gazelle", "Trek", "Samsung", "Apple", "Fossil", "Guess", "Eastpak", "Longchamp"]
    colours = ["black", "blue", "red", "white", "brown"]

    def found_object(i):
        category = categories[i % len(categories)]
        item = {"category": category, "brand": random.choice(brands), "colour": random.choice(colours),
                "description": f"found object {i} with a {random.choice(colours)} case"}
        if i % 4 == 0:  # one in four carries a seeded serial: a certain candidate too
            item["serial_number"] = f"SN{random.randrange(ITEMS):09d}"
        found_at = datetime.now(timezone.utc) - timedelta(days=random.randint(0, 25), hours=1)
        body = {"object_category": category,
                "object_description": f"bench found object {i}",
                "found_at": found_at.isoformat(), "items": [item],
                "lat": 49.6116 + random.uniform(-0.004, 0.004), "lon": 6.1319 + random.uniform(-0.004, 0.004)}
        return call("POST", "/v1/partner/found-objects", body, office)

    measure("file", found_object, 201)
