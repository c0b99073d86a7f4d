#!/usr/bin/env python3
"""Renders one run of bench/run (a JSON-lines file) as the Markdown results table."""
import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]


def ms(r, kind, q):
    return r["requests"].get(kind, {}).get(f"p{q}_ms", "–")


def machine():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} {platform.release()}, {pg}"


out = []
w = out.append
w(f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {machine()}.")
w("")

submit = [r for r in rows if r.get("scenario") == "submit" and r["label"] == "postgres"]
pgbench = {r["clients"]: r for r in rows if r.get("kind") == "pgbench"}
baseline = {r["clients"]: r for r in rows if r.get("kind") == "pgbench_rows"}
all_rows = {r["clients"]: r for r in rows if r.get("kind") == "pgbench_rows_all"}
sealer = {r["label"]: r for r in rows if r.get("kind") == "sealer"}
outbox = {r["label"]: r for r in rows if r.get("kind") == "outbox"}
if submit:
    w("### Filing submission on PostgreSQL (create + submit), against pgbench in the same run")
    w("")
    w("| clients | submissions/s | requests/s | create p50 / p95 / p99 ms | submit p50 / p95 / p99 ms "
      "| replay tx/s | ratio | rows baseline tx/s | ratio | all rows tx/s | ratio "
      "| oldest unsealed, max s | outbox waiting, max / at end | outbox empty after |")
    w("|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in submit:
        reqs = sum(v["per_second"] for v in r["requests"].values())
        cells = []
        for table in (pgbench, baseline, all_rows):
            tps = table[r["clients"]]["tps"] if r["clients"] in table else None
            cells.append(f"{tps if tps else '–'} | "
                         + (f"{r['operations']['per_second'] / tps:.2f}" if tps else "–"))
        lag = sealer.get(f"postgres, {r['clients']} clients", {}).get("oldest_unsealed_max_s", "–")
        ob = outbox.get(f"postgres, {r['clients']} clients")
        ob_cells = (f"{ob['waiting_max']} / {ob['waiting_at_end']} | {ob['drained_s']} s"
                    if ob else "– | –")
        w(f"| {r['clients']} | {r['operations']['per_second']} | {reqs:.1f} "
          f"| {ms(r, 'create', 50)} / {ms(r, 'create', 95)} / {ms(r, 'create', 99)} "
          f"| {ms(r, 'submit', 50)} / {ms(r, 'submit', 95)} / {ms(r, 'submit', 99)} "
          f"| {cells[0]} | {cells[1]} | {cells[2]} | {lag} | {ob_cells} |")
    w("")
    w("A submission is two requests (create the draft, submit it). *Replay*: pgbench runs the "
      "API's own SQL, two transactions per submission (`bench/pgbench/submission.sql`): the old "
      "ratio. *Rows baseline*: only the rows a submission writes (filing, history, audit event "
      "and its queue entry, idempotency record), no lock, no read "
      "(`bench/pgbench/submission-rows.sql`): issue 14's ratio, target ≥ 0.7. *All rows*: every "
      "row a submission writes today (also its items, notification, message and sealed "
      "identity), no lock, no read (`bench/pgbench/submission-rows-all.sql`). *Oldest unsealed*: "
      "the largest `ecommissariat_audit_oldest_unsealed_seconds` sampled every 0.2 s during the "
      "step (target < 2 s). *Outbox waiting*: confirmations not yet delivered (pending, "
      "sending or failed), sampled every second during the step, and the time the worker "
      "took to empty it after the step (issue 15: the outbox must not grow under the "
      "maximum submission load). " + ("E-mails went to a real SMTP server (aiosmtpd)."
      if any(o.get("smtp") for o in outbox.values()) else "E-mails went to files (no SMTP sink)."))
    cpu = [r for r in rows if r.get("kind") == "cpu"]
    if cpu:
        names = {"submit": "API", "pgbench": "replay", "pgbench_rows": "rows baseline",
                 "pgbench_rows_all": "all rows"}
        w("")
        w("Where the CPU went, in CPU milliseconds per submission (2 cores are 2,000 ms a "
          "second; a step that keeps them busy makes 2,000 / *busy* submissions a second):")
        w("")
        w("| step | clients | submissions | busy (the machine) | server | client | PostgreSQL and the rest |")
        w("|---|---:|---:|---:|---:|---:|---:|")
        for r in cpu:
            w(f"| {names.get(r['step'], r['step'])} | {r['clients']} | {r['operations']} "
              f"| {r['busy_ms_per_op']} | {r['server_ms_per_op'] if r['step'] == 'submit' else '–'} "
              f"| {r['client_ms_per_op']} | {r['rest_ms_per_op']} |")
    for r in rows:
        if r.get("kind") == "audit":
            w("")
            w(f"Audit log after the steps: {r['events']} events, {r['sealed']} sealed, "
              f"{r['pending']} waiting.")
    w("")

for r in rows:
    if r.get("scenario") == "submit" and r["label"] != "postgres":
        op = r["operations"]
        w(f"- **{r['label']}** ({r['clients']} clients{', paced at %s/s' % r['rate'] if r.get('rate') else ''}): "
          f"{op['per_second']} submissions/s; whole submission p50 {op['p50_ms']} ms, p99 {op['p99_ms']} ms; "
          f"create p99 {ms(r, 'create', 99)} ms, submit p99 {ms(r, 'submit', 99)} ms"
          + (f"; resent pairs replayed identically: {r['replays_ok']}, differing: {r['replays_wrong']}"
             if r["replays_ok"] or r["replays_wrong"] else "")
          + f"; 5xx: {r['status_5xx']}, 4xx: {r['status_4xx']}.")
if any(r.get("scenario") == "submit" and r["label"] != "postgres" for r in rows):
    w("")

checks = [r for r in rows if r.get("kind") in ("check", "duplicates")]
if checks:
    w("### Correctness under load")
    w("")
    w("| step | filings added | 201 to creates | submitted rows added | 200 to submits | 5xx answers | verdict |")
    w("|---|---:|---:|---:|---:|---:|---|")
    for r in checks:
        if r["kind"] == "check":
            ok = (r["rows_added"] == r["submits_2xx"] and r["responses_5xx"] == 0
                  and r.get("filings_added") == r.get("creates_2xx"))
            w(f"| {r['label']} | {r.get('filings_added', '–')} | {r.get('creates_2xx', '–')} "
              f"| {r['rows_added']} | {r['submits_2xx']} | {r['responses_5xx']} | {'ok' if ok else '**FAILED**'} |")
        else:
            w(f"| references shared by two filings ({r['label']}) | | | {r['references_shared']} | | | "
              f"{'ok' if r['references_shared'] == 0 else '**FAILED**'} |")
    w("")

reads = [r for r in rows if r.get("scenario") in ("getfiling", "procedures", "queue")]
if reads:
    w("### Reads")
    w("")
    w("| request | backend | clients | requests/s | p50 ms | p95 ms | p99 ms | 5xx |")
    w("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in reads:
        for kind, s in r["requests"].items():
            w(f"| `{kind}` | {r['label']} | {r['clients']} | {s['per_second']} | {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} | {r['status_5xx']} |")
    w("")

for r in rows:
    if r.get("kind") == "seed":
        w(f"Queue data: {r['filings']} filings generated in {r['seconds']} s; the unit read is `{r['unit']}` "
          f"({r['unit_filings']} filings, {r['unit_submitted']} in status `submitted`).")
        w("")
    if r.get("kind") == "explain":
        w("```")
        w(r["text"].rstrip())
        w("```")
        w("")
    if r.get("kind") == "routing":
        w(f"### Routing\n\n{r['text']}\n")

memory = [r for r in rows if r.get("kind") == "memory"]
if memory:
    w("### Memory")
    w("")
    for r in memory:
        w(f"- Peak RSS of the server during {r['label']}: {r['peak_rss_kib'] / 1024:.0f} MiB")
    w("")

print("\n".join(out))
