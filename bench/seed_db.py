#!/usr/bin/env python3
"""seed_db.py - grow a gateway moderation.db to N decision rows, quickly.

The seed rows are real ones: a template database written by a running
gateway (the benchmark's backlog phase, with rule, AI and review decisions,
their inputs snapshots, events and LLM usage), replicated with new request
ids and older timestamps until `decisions` holds --rows rows. Only settled
rows (not `in_review`) are replicated, so the review queue stays the size a
real queue has (the template's), while history, events and usage grow.

Run it with the gateway stopped: the gateway owns moderation.db. The
schema is the gateway's own (the template was migrated by it), so nothing
here duplicates services/api-gateway/gw_store.c.

    seed_db.py --template SRC.db --out DST.db --rows 100000
Standard library only; deterministic (no randomness at all).
"""
import argparse
import os
import sqlite3
import sys
import time

DAY_MS = 86400000


def columns(db, table):
    return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--template", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rows", type=int, default=100000)
    args = ap.parse_args()
    started = time.time()

    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(args.out + suffix):
            os.unlink(args.out + suffix)
    src = sqlite3.connect(args.template)
    dst = sqlite3.connect(args.out)
    src.backup(dst)
    src.close()
    dst.execute("PRAGMA journal_mode=WAL")
    dst.execute("PRAGMA synchronous=OFF")

    req_cols = columns(dst, "requests")
    dec_cols = [c for c in columns(dst, "decisions") if c != "id"]
    ev_cols = [c for c in columns(dst, "events") if c != "seq"]
    use_cols = [c for c in columns(dst, "usage") if c != "id"]

    base = dst.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]
    settled = dst.execute(
        "SELECT COUNT(*) FROM decisions d JOIN requests r"
        " ON r.request_id = d.request_id WHERE r.state != 'in_review'"
    ).fetchone()[0]
    if settled == 0:
        sys.exit("seed_db: the template has no settled decision to copy")
    max_id = dst.execute(
        "SELECT COALESCE(MAX(request_id), 0) FROM requests").fetchone()[0]
    stride = max_id + 1
    copies = max(0, -(-(args.rows - base) // settled))

    def shifted(cols, id_col, time_cols):
        out = []
        for c in cols:
            if c == id_col:
                out.append(f"{c} + :off")
            elif c in time_cols:
                out.append(f"{c} - :age")
            else:
                out.append(c)
        return ", ".join(out)

    req_sel = shifted(req_cols, "request_id",
                      {"created_at", "updated_at", "lease_until",
                       "next_apply_at"})
    dec_sel = shifted(dec_cols, "request_id", {"decided_at"})
    ev_sel = shifted(ev_cols, "request_id", {"at"})
    use_sel = shifted(use_cols, "request_id", {"at"})
    # Snapshot the settled template rows once, so each copy reads a small
    # table instead of the growing one (events/usage have no request_id
    # index: reading them back each round would be quadratic).
    settled_ids = ("SELECT request_id FROM requests WHERE state != 'in_review'"
                   f" AND request_id < {stride}")
    for table in ("requests", "decisions", "events", "usage"):
        dst.execute(f"CREATE TEMP TABLE tpl_{table} AS SELECT * FROM {table}"
                    f" WHERE request_id IN ({settled_ids})")

    dst.execute("BEGIN")
    for k in range(1, copies + 1):
        # Copy k is k hours older, so "last 24 h" holds about a day's worth.
        p = {"off": k * stride, "age": k * 3600000}
        dst.execute(
            f"INSERT INTO requests ({', '.join(req_cols)}) SELECT {req_sel}"
            " FROM tpl_requests", p)
        dst.execute(
            f"INSERT INTO decisions ({', '.join(dec_cols)}) SELECT {dec_sel}"
            " FROM tpl_decisions ORDER BY id", p)
        dst.execute(
            f"INSERT INTO events ({', '.join(ev_cols)}) SELECT {ev_sel}"
            " FROM tpl_events ORDER BY seq", p)
        dst.execute(
            f"INSERT INTO usage ({', '.join(use_cols)}) SELECT {use_sel}"
            " FROM tpl_usage ORDER BY id", p)
    # Each copied request points at its own copy's latest decision.
    dst.execute(
        "UPDATE requests SET decision_id = (SELECT MAX(d.id) FROM decisions d"
        " WHERE d.request_id = requests.request_id)"
        f" WHERE request_id >= {stride} AND decision_id IS NOT NULL")
    dst.execute("COMMIT")
    dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    counts = {t: dst.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("requests", "decisions", "events", "usage")}
    reviews = dst.execute(
        "SELECT COUNT(*) FROM requests WHERE state = 'in_review'").fetchone()[0]
    dst.close()
    print(f"seeded {args.out}: " + ", ".join(
        f"{k}={v}" for k, v in counts.items())
        + f", in_review={reviews} in {time.time() - started:.2f}s")


if __name__ == "__main__":
    main()
