#!/usr/bin/env python3
"""Writes bench/pgbench/submission.sql from PostgreSQL's statement log.

Usage: capture.py LOG RUN_ID [--writes-only] > submission.sql

With `--writes-only`, only the statements that write (and the transactions' BEGIN and
COMMIT): every row the submission writes today, with no read and no lock, the baseline
`submission-rows-all.sql`.

LOG is PostgreSQL's server log, with `log_statement = all` for the database, holding one
create (between the markers `SELECT 'MARK-<RUN_ID>-A'` and `...-B`) and one submit
(between `...-B` and `...-C`), as `bench/pgbench/capture` makes them. Each statement's
parameters (the `DETAIL:  parameters:` line) are put back as literals, then the values
that must differ between pgbench transactions (the filing's id, its owner, the
idempotency keys, the reference, fresh UUIDs) become pgbench expressions of `:n` and
`:owner`. A colon followed by a letter in a literal gets a space, since pgbench would
read `:name` as one of its variables.
"""
import re
import sys

PREFIX = re.compile(r"^\d{4}-\d\d-\d\d [\d:.]+ \w+ \[(\d+)\] \S+ (LOG|DETAIL|ERROR|STATEMENT):  ")


def entries(path):
    """(pid, kind, text) of each log entry, continuation lines joined."""
    current = None
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            m = PREFIX.match(line)
            if m:
                if current:
                    yield current
                current = [m.group(1), m.group(2), line[m.end():].rstrip("\n")]
            elif current:
                current[2] += "\n" + line.rstrip("\n")
    if current:
        yield current


def parameters(detail):
    """{'$1': "'x'", ...} from `parameters: $1 = 'x', $2 = NULL`."""
    out = {}
    for m in re.finditer(r"(\$\d+) = ((?:'(?:[^']|'')*')|NULL)", detail):
        out[m.group(1)] = m.group(2)
    return out


def segment(path, run, start, end):
    """The request's statements between two markers. The service's background work
    (the sealer, the delivery worker) runs meanwhile on other pooled connections: only
    the connections that sent the request's own statements count (its client look-up,
    its idempotency key), up to the commit that follows its stored answer."""
    inside, statements = False, []
    for pid, kind, text in entries(path):
        if f"MARK-{run}-{start}" in text:
            inside = True
            continue
        if f"MARK-{run}-{end}" in text:
            break
        if not inside:
            continue
        if kind == "LOG" and (text.startswith("statement: ") or text.startswith("execute ")):
            statements.append([pid, text.split(": ", 1)[1]])
        elif kind == "DETAIL" and text.startswith("parameters: ") and statements:
            values = parameters(text)
            sql = statements[-1][1]
            for name in sorted(values, key=lambda k: -int(k[1:])):
                sql = sql.replace(name, values[name])
            statements[-1][1] = sql
    mine = {pid for pid, sql in statements
            if '"partner_clients"' in sql or '"idempotency_keys"' in sql}
    out, answered = [], False
    for pid, sql in statements:
        # `SELECT 1` is the pool's check of a connection idle for more than a second
        # (persistence::db::VALIDATION_BYPASS): the capture waits between its requests,
        # a loaded service does not.
        if pid not in mine or sql == "SELECT 1":
            continue
        out.append(sql)
        if sql.startswith('INSERT INTO "idempotency_keys"'):
            answered = True
        if answered and sql == "COMMIT":
            break
    return out


def pgbenchify(sql, names):
    for value, expression in names:
        sql = sql.replace(f"'{value}'", expression)
    sql = re.sub(r"'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'",
                 "gen_random_uuid()::text", sql)
    # Inside literals only: the expressions' own :n and :owner are pgbench's.
    sql = re.sub(r"'(?:[^']|'')*'", lambda m: re.sub(r":(?=[A-Za-z_])", ": ", m.group(0)), sql)
    return sql + ";"


def main():
    path, run = sys.argv[1], sys.argv[2]
    writes_only = "--writes-only" in sys.argv[3:]
    create = segment(path, run, "A", "B")
    submit = segment(path, run, "B", "C")
    # The values of this capture that must vary, read from the statements themselves.
    text = "\n".join(create + submit)
    filing = re.search(r'INSERT INTO "filings" .*? VALUES \(\'([^\']+)\', \'([^\']+)\'', text)
    filing_id, owner = filing.group(1), filing.group(2)
    reference = re.search(r'"reference" = \'([^\']+)\'', text).group(1)
    keys = re.findall(r'"idempotency_key" = \'([^\']+)\'', text)
    names = [(f"citizen:{owner}", "('citizen:pgb-owner-' || :owner)"),
             (f"quota:{owner}", "('quota-pgb-owner-' || :owner)"),
             (f"feed:{owner}", "('feed-pgb-owner-' || :owner)")]
    for key, tag in zip(keys, ["c", "s"]):
        # The advisory lock's key: caller, unit separator, key.
        names.append((f"{owner}\x1f{key}",
                      f"('pgb-owner-' || :owner || chr(31) || 'pgb-{tag}-' || :n)"))
        names.append((key, f"('pgb-{tag}-' || :n)"))
    names += [(owner, "('pgb-owner-' || :owner)"), (filing_id, "('pgb-' || :n)"),
              (reference, "('PGB-' || :n)")]
    # After the names: the keys are read from the look-ups, which the baseline leaves out.
    # The feed's lock stays: a notification's number is the owner's next one, so two
    # writers for one owner must not interleave (the baseline's only lock, per owner).
    if writes_only:
        keep = ("BEGIN", "COMMIT", "INSERT", "UPDATE", "DELETE", "WITH")
        feed = f"feed:{owner}"
        create = [sql for sql in create if sql.startswith(keep) or feed in sql]
        submit = [sql for sql in submit if sql.startswith(keep) or feed in sql]
    if writes_only:
        print("-- Every row one citizen submission writes today (the create and the submit), in")
        print("-- the API's two transactions, with no read and no lock but the owner's feed's")
        print("-- (a notification's number is the owner's next): the API's own writes.")
    else:
        print("-- One citizen submission, as the API sends it to PostgreSQL: the statements of")
        print("-- POST /v1/filings and POST /v1/filings/{id}/submit, each with an Idempotency-Key,")
    print("-- captured from PostgreSQL's statement log by bench/pgbench/capture (do not edit:")
    print("-- run it again), with the values that must differ per run as pgbench expressions.")
    print(f"-- {len(create)} statements for the create, {len(submit)} for the submit.")
    print("\\set n random(1, 9000000000000000000)")
    print("\\set owner random(1, 256)")
    print()
    print("-- POST /v1/filings")
    for sql in create:
        print(pgbenchify(sql, names))
    print()
    print("-- POST /v1/filings/{id}/submit")
    for sql in submit:
        print(pgbenchify(sql, names))


if __name__ == "__main__":
    main()
