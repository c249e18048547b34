#!/usr/bin/env python3
"""bench.py - PlexStaffAI's end-to-end benchmark (run it through bench/run).

Every stack is started with the launcher (`plexstaffai up --config X
--judges N`), so the launcher's memory is measured too, against the
Overseerr and LLM simulators this script starts itself on loopback, with a
generated config (ipc:// bus endpoints in a temporary directory). Phases:

  1. cold start to healthy (empty, migrated DB), idle memory, idle CPU,
     backlog (1000 pending, LLM 300 ms), memory after it, LLM calls and
     tokens per AI-judged request, 10 repeated scans (judges = 1);
  2. the same backlog with 2 and 4 judges (ai-judge scaling);
  3. webhook -> applied latency of rule-decided requests (500 at 50/s);
  4. moderation.db seeded to 100k decision rows (bench/seed_db.py, from
     the phase-1 database), cold start to healthy on it, wrk on the
     gateway's /api/v1/stats, /api/v1/decisions, /api/v1/reviews and /.

Python standard library only. Deterministic inputs: simulator seeds are
fixed; timings vary with the machine, of course.
"""
import argparse
import datetime
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

API_KEY = "bench-overseerr-key"
SECRET = "bench-webhook-secret"
LLM_KEY = "bench-llm-key"
SERVICES = ["api-gateway", "poller", "enricher", "rule-engine", "learner",
            "ai-judge"]
SETTLED = ("applied", "decided", "in_review", "decided_elsewhere")
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Rules of every benchmark stack: with the Overseerr simulator's seed-7
# catalogue they settle about 40 % of the requests by rule (the report
# gives the measured share), the rest goes to the LLM. Quotas are off: a
# 1000-request burst from the simulator's few users would otherwise be
# declined by the weekly quota (82 % of it), which is not the backlog the
# issue describes.
RULES = """rules:
  min_rating: 5.25
  approve_rating: 8.0
  blocked_genres: [Horror]
  mode:
    quota_weekly: off
    quota_overseerr: off
"""


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, headers=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            try:
                return resp.status, (json.loads(raw) if raw else None)
            except ValueError:
                return resp.status, raw.decode(errors="replace")
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            return err.code, json.loads(raw)
        except ValueError:
            return err.code, raw.decode(errors="replace")


def wait_for(pred, timeout, what, interval=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout}s waiting for {what}")


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    k = (len(v) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


# ---------------------------------------------------------------------------
# /proc helpers

def children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def proc_name(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv0 = f.read().split(b"\0")[0].decode()
        return os.path.basename(argv0).replace("plexstaffai-", "")
    except OSError:
        return "?"


def smaps(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0] in ("Rss:", "Pss:"):
                    out[parts[0][:-1].lower()] = int(parts[1])  # kB
    except OSError:
        pass
    return out


def cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, IndexError):
        return 0


# ---------------------------------------------------------------------------
# Simulators and stacks

class Proc:
    def __init__(self, name, argv, logdir, capture_port=False, env=None):
        self.name = name
        self.log = open(os.path.join(logdir, name + ".log"), "ab")
        self.p = subprocess.Popen(
            argv, stdout=subprocess.PIPE if capture_port else self.log,
            stderr=self.log, env=env, start_new_session=True)
        self.port = None
        if capture_port:
            line = self.p.stdout.readline().decode().strip()
            if not line.startswith("listening on"):
                raise RuntimeError(f"{name} did not start: {line!r}")
            self.port = int(line.rsplit(":", 1)[1])

    def stop(self, timeout=15):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        if self.p.stdout:
            self.p.stdout.close()
        self.log.close()


# The gateway requires a login: the bench acts through an admin API token
# provisioned from the environment of the stack it starts.
API_TOKEN = secrets.token_hex(24)
AUTH = {"Authorization": "Bearer " + API_TOKEN}


def clean_env():
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "OVERSEERR_", "WEBHOOK_",
                                "PLEXSTAFFAI_", "SCAN_INTERVAL"))}
    env["PLEXSTAFFAI_API_TOKEN"] = API_TOKEN
    env["PLEXSTAFFAI_API_TOKEN_ROLE"] = "admin"
    return env


class Sims:
    """The Overseerr simulator (no initial request) and the LLM simulator."""

    def __init__(self, bench, tag, webhook_port=None):
        self.bench = bench
        b = bench.bindir
        args = [os.path.join(b, "plexstaffai-overseerr-sim"),
                "--listen", "127.0.0.1:0", "--api-key", API_KEY,
                "--requests", "0", "--seed", "7", "--log-level", "warn"]
        if webhook_port:
            args += ["--webhook-url",
                     f"http://127.0.0.1:{webhook_port}/webhook/overseerr",
                     "--webhook-auth", "Bearer " + SECRET]
        self.oversim = Proc(f"{tag}-overseerr-sim", args, bench.dir, True,
                            clean_env())
        self.llm = Proc(f"{tag}-llm-sim", [
            os.path.join(b, "plexstaffai-llm-sim"), "--listen", "127.0.0.1:0",
            "--threads", "256", "--latency-ms", str(bench.latency_ms),
            "--seed", "7", "--log-level", "warn"], bench.dir, True,
            clean_env())

    def sim(self, method, path, body=None):
        return http(method, f"http://127.0.0.1:{self.oversim.port}{path}",
                    body)

    def llm_stats(self):
        status, body = http(
            "GET", f"http://127.0.0.1:{self.llm.port}/sim/stats")
        assert status == 200, body
        return body

    def add(self, count):
        status, body = self.sim("POST", "/sim/requests", {"count": count})
        assert status == 200, body
        return body["ids"]

    def stop(self):
        self.oversim.stop()
        self.llm.stop()


class Stack:
    """One launcher (`plexstaffai up`) with its six services."""

    def __init__(self, bench, tag, sims, judges=1, threads=None,
                 data_dir=None, gateway_port=None):
        self.bench = bench
        self.tag = tag
        self.sims = sims
        self.judges = judges
        self.dir = os.path.join(bench.dir, tag)
        os.makedirs(self.dir, exist_ok=True)
        self.data_dir = data_dir or os.path.join(self.dir, "data")
        self.port = gateway_port or free_port()
        self.config_path = os.path.join(self.dir, "config.yaml")
        conc = (f"  concurrency: {bench.ai_concurrency}\n"
                if bench.concurrency_supported else "")
        thr = f"  threads: {threads}\n" if threads else ""
        d = self.dir
        with open(self.config_path, "w") as f:
            f.write(f"""# generated by bench/bench.py ({tag})
data_dir: {self.data_dir}
scan_interval: 24h
log_level: warn
overseerr:
  url: http://127.0.0.1:{sims.oversim.port}
  api_key: {API_KEY}
ai:
  base_url: http://127.0.0.1:{sims.llm.port}/v1
  api_key: {LLM_KEY}
  timeout_ms: 10000
{conc}{RULES}gateway:
  listen: 127.0.0.1:{self.port}
  webhook_secret: {SECRET}
  apply_retry: 2s
{thr}bus:
  collect: ipc://{d}/collect
  events: ipc://{d}/events
  authority: ipc://{d}/authority
  commands: ipc://{d}/commands
  requests: ipc://{d}/requests
  enriched: ipc://{d}/enriched
  undecided: ipc://{d}/undecided
  models: ipc://{d}/models
""")
        self.launcher = None

    def start(self, timeout=30):
        """Starts the launcher; returns (seconds to HTTP up, to healthy)."""
        t0 = time.monotonic()
        self.launcher = Proc(
            f"{self.tag}-launcher",
            [os.path.join(self.bench.bindir, "plexstaffai"), "up",
             "--config", self.config_path, "--judges", str(self.judges)],
            self.dir, False, clean_env())
        up_at = None
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                        self.url("/api/v1/health"), timeout=1) as resp:
                    if resp.status == 200:
                        now = time.monotonic()
                        return (up_at or now) - t0, now - t0
            except urllib.error.HTTPError:
                if up_at is None:
                    up_at = time.monotonic()
            except OSError:
                pass
            if self.launcher.p.poll() is not None:
                raise RuntimeError(f"{self.tag}: launcher exited "
                                   f"{self.launcher.p.returncode}")
            time.sleep(0.002)
        raise RuntimeError(f"{self.tag}: not healthy after {timeout}s: "
                           f"{self.gw('GET', '/api/v1/health')}")

    def stop(self):
        if self.launcher:
            self.launcher.stop(timeout=20)
            self.launcher = None

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def gw(self, method, path, body=None, timeout=10):
        return http(method, self.url(path), body, headers=AUTH,
                    timeout=timeout)

    def pids(self):
        """{label: pid} for the launcher and each service."""
        out = {"launcher": self.launcher.p.pid}
        judge = 0
        for pid in children(self.launcher.p.pid):
            name = proc_name(pid)
            if name == "ai-judge":
                judge += 1
                name = f"ai-judge-{judge}"
            out[name] = pid
        return out

    def memory(self):
        rows = {}
        for label, pid in self.pids().items():
            rows[label] = smaps(pid)
        return rows

    def cpu_ticks(self):
        return sum(cpu_ticks(pid) for pid in self.pids().values())

    def stats(self):
        status, body = self.gw("GET", "/api/v1/stats")
        assert status == 200, body
        return body

    def settled_count(self):
        states = self.stats().get("states", {})
        return sum(states.get(s, 0) for s in SETTLED)

    def decisions(self):
        rows, before = [], None
        while True:
            path = "/api/v1/decisions?limit=1000" + (
                f"&before={before}" if before else "")
            status, body = self.gw("GET", path)
            assert status == 200, body
            rows += body["decisions"]
            before = body.get("next_before")
            if not before:
                return rows

    def scan_status(self):
        _, health = self.gw("GET", "/api/v1/health")
        return health.get("scan", {}) if isinstance(health, dict) else {}

    def scan_and_wait(self, timeout=60):
        before = self.scan_status().get("at", 0)
        status, body = self.gw("POST", "/api/v1/scan")
        assert status == 202, body

        def done():
            s = self.scan_status()
            return (not s.get("running")) and s.get("at", 0) > before
        wait_for(done, timeout, "the scan to finish", 0.05)


# ---------------------------------------------------------------------------
# Phases

class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.bindir = os.path.abspath(args.bindir)
        self.dir = tempfile.mkdtemp(prefix="ps-bench-", dir="/tmp")
        self.latency_ms = 300
        self.backlog = 50 if self.quick else 1000
        self.latency_n = 50 if self.quick else 500
        self.latency_rate = 50
        self.seed_rows = 2000 if self.quick else 100000
        self.wrk_seconds = 2 if self.quick else 10
        self.idle_seconds = 0 if self.quick else 60
        self.judge_counts = [1, 2] if self.quick else [1, 2, 4]
        self.cold_runs = 2 if self.quick else 5
        self.profile = args.profile and not self.quick
        self.backlog_cap = 120 if self.quick else 240
        self.r = {"notes": []}
        self.detect_concurrency()

    def detect_concurrency(self):
        """ai.concurrency (default 8) when this build knows the key; the
        figure used for the limit is read back from the config we write."""
        self.ai_concurrency = int(os.environ.get("BENCH_AI_CONCURRENCY", "8"))
        probe = os.path.join(self.dir, "probe.yaml")
        with open(probe, "w") as f:
            f.write("overseerr:\n  url: http://127.0.0.1:1\n  api_key: k\n"
                    f"ai:\n  concurrency: {self.ai_concurrency}\n"
                    f"gateway:\n  webhook_secret: s\n")
        rc = subprocess.run(
            [os.path.join(self.bindir, "plexstaffai"), "check-config", probe],
            capture_output=True, env=clean_env()).returncode
        self.concurrency_supported = rc == 0
        self.r["concurrency_supported"] = self.concurrency_supported

    def config_concurrency(self, stack):
        """ai.concurrency as written in the stack's config, or the
        default 8 the issue names when the key is absent."""
        with open(stack.config_path) as f:
            m = re.search(r"^ai:\n(?:  .*\n)*?  concurrency: (\d+)", f.read(),
                          re.M)
        return int(m.group(1)) if m else 8

    # -- phase 1 and 2: backlog -------------------------------------------
    def run_backlog(self, stack, sims):
        n = self.backlog
        llm0 = sims.llm_stats()
        base_settled = stack.settled_count()
        sims.add(n)
        t0 = time.time()
        status, body = stack.gw("POST", "/api/v1/scan")
        assert status == 202, body
        deadline = time.time() + self.backlog_cap
        complete = True
        while stack.settled_count() - base_settled < n:
            if time.time() > deadline:
                complete = False
                break
            time.sleep(0.1)
        t_seen = time.time()
        time.sleep(1)
        # Memory before the bench's own big reads (1000-row decision pages).
        mem = stack.memory()
        llm1 = sims.llm_stats()
        rows = [d for d in stack.decisions() if d["decided_at"] >= t0 * 1000
                - 5]
        ai = [d for d in rows if d["source"] == "ai"]
        rule = [d for d in rows if d["source"] == "rule"]
        last = max((d["decided_at"] for d in rows), default=t0 * 1000)
        elapsed = max(1e-3, last / 1000.0 - t0)
        ai_last = max((d["decided_at"] for d in ai), default=t0 * 1000)
        ai_elapsed = max(1e-3, ai_last / 1000.0 - t0)
        conc = self.config_concurrency(stack)
        limit = stack.judges * conc / (self.latency_ms / 1000.0)
        calls = llm1["calls"] - llm0["calls"]
        res = {
            "judges": stack.judges, "requests": n, "complete": complete,
            "decided": len(rows), "rule": len(rule), "ai": len(ai),
            "elapsed_s": elapsed, "wait_s": t_seen - t0,
            "decided_per_s": len(rows) / elapsed,
            "ai_per_s": len(ai) / ai_elapsed if ai else 0.0,
            "ai_limit_per_s": limit, "concurrency": conc,
            "ai_fraction": (len(ai) / ai_elapsed / limit) if ai else 0.0,
            "llm_calls": calls,
            "prompt_tokens": llm1["prompt_tokens"] - llm0["prompt_tokens"],
            "completion_tokens": (llm1["completion_tokens"]
                                  - llm0["completion_tokens"]),
            "max_in_flight": llm1["max_in_flight"],
            "outcomes": {}, "mem": mem,
        }
        for d in rows:
            key = f"{d['source']}:{d['outcome']}"
            res["outcomes"][key] = res["outcomes"].get(key, 0) + 1
        log(f"backlog judges={stack.judges}: {len(rows)}/{n} decided in "
            f"{elapsed:.1f}s ({res['decided_per_s']:.1f}/s), ai={len(ai)} "
            f"({res['ai_per_s']:.2f}/s of limit {limit:.1f}/s), "
            f"llm calls={calls} max_in_flight={llm1['max_in_flight']}")
        return res

    def phase_main(self):
        """Cold start (empty DB), idle memory and CPU, the backlog with one
        judge, memory after it, LLM usage, 10 repeated scans."""
        sims = Sims(self, "main")
        stack = Stack(self, "main", sims, judges=1)
        try:
            # First start migrates the schema; not timed.
            stack.start()
            stack.stop()
            colds = []
            for _ in range(self.cold_runs):
                colds.append(stack.start())
                stack.stop()
            self.r["cold_empty"] = colds
            log("cold start empty DB: " + ", ".join(
                f"{h:.3f}s" for _, h in colds))
            stack.start()
            time.sleep(2 if self.quick else 5)
            self.r["mem_idle"] = stack.memory()
            if self.idle_seconds:
                c0 = stack.cpu_ticks()
                t0 = time.monotonic()
                time.sleep(self.idle_seconds)
                c1 = stack.cpu_ticks()
                dt = time.monotonic() - t0
                self.r["idle_cpu_pct"] = (c1 - c0) / CLK_TCK / dt * 100.0
                self.r["idle_cpu_s"] = dt
                log(f"idle CPU {self.r['idle_cpu_pct']:.2f}% of a core over "
                    f"{dt:.0f}s")
            self.r["backlog"] = [self.run_backlog(stack, sims)]
            self.r["mem_after"] = self.r["backlog"][0]["mem"]
            # Repeated scans of the same backlog: no LLM call after the first.
            c0 = sims.llm_stats()["calls"]
            per_scan = []
            for _ in range(10):
                before = sims.llm_stats()["calls"]
                stack.scan_and_wait()
                per_scan.append(sims.llm_stats()["calls"] - before)
            self.r["rescan_calls"] = sims.llm_stats()["calls"] - c0
            self.r["rescan_per_scan"] = per_scan
            log(f"10 rescans: {self.r['rescan_calls']} LLM calls")
        finally:
            stack.stop()
            sims.stop()
        self.template_db = os.path.join(stack.data_dir, "moderation.db")

    def phase_scaling(self):
        for judges in self.judge_counts[1:]:
            sims = Sims(self, f"judges{judges}")
            stack = Stack(self, f"judges{judges}", sims, judges=judges)
            try:
                stack.start()
                self.r["backlog"].append(self.run_backlog(stack, sims))
            finally:
                stack.stop()
                sims.stop()

    # -- phase 3: webhook -> applied ------------------------------------
    def phase_latency(self):
        port = free_port()
        sims = Sims(self, "latency", webhook_port=port)
        stack = Stack(self, "latency", sims, judges=1, gateway_port=port)
        try:
            stack.start()
            time.sleep(1.5)  # the startup scan (empty) is over
            posts = []
            period = 1.0 / self.latency_rate
            start = time.time() + 0.05
            for i in range(self.latency_n):
                when = start + i * period
                delay = when - time.time()
                if delay > 0:
                    time.sleep(delay)
                t = time.time()
                ids = sims.add(1)
                posts.append((ids[0], t))
            # Rule-decided ones are applied within ms; wait for everything
            # settled or 5 s (AI ones queue behind the 300 ms LLM).
            ids = {i for i, _ in posts}
            deadline = time.time() + 5
            rule_applied = []
            others = 0
            pending = dict(posts)
            while pending and time.time() < deadline:
                for rid, t in list(pending.items()):
                    status, doc = stack.gw("GET", f"/api/v1/requests/{rid}")
                    if status != 200 or doc.get("state") not in SETTLED:
                        continue
                    decs = doc.get("decisions", [])
                    src = decs[-1]["source"] if decs else "?"
                    if src == "rule" and doc["state"] == "applied":
                        rule_applied.append(rid)
                    else:
                        others += 1
                    del pending[rid]
                time.sleep(0.2)
            # The end point is the simulator's own clock at the approve or
            # decline that took (us), minus the wall clock just before the
            # POST that created the request (and fired its webhook).
            status, state = sims.sim("GET", "/sim/state")
            assert status == 200, state
            decided = {item["id"]: item.get("decided_us")
                       for item in state["requests"]}
            sent_at = dict(posts)
            lat = [decided[rid] / 1000.0 - sent_at[rid] * 1000.0
                   for rid in rule_applied if decided.get(rid)]
            self.r["latency"] = {
                "sent": len(ids), "rule_applied": len(lat),
                "other": others, "unsettled": len(pending),
                "p50": pct(lat, 50), "p99": pct(lat, 99),
                "max": max(lat) if lat else float("nan"),
                "span_s": posts[-1][1] - posts[0][1],
            }
            log("webhook->applied (rule): n={rule_applied} p50={p50:.1f} "
                "p99={p99:.1f} max={max:.1f} ms".format(**self.r["latency"]))
        finally:
            stack.stop()
            sims.stop()

    # -- phase 4: 100k rows, cold start, wrk ------------------------------
    def wrk(self, url, seconds):
        out = subprocess.run(
            ["wrk", "-t2", "-c64", f"-d{seconds}s", "--latency", "-H",
             "Authorization: Bearer " + API_TOKEN, url],
            capture_output=True, text=True).stdout
        rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
        p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)", out, re.M)
        non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
        errors = re.search(r"Socket errors:(.*)", out)
        timeouts = re.search(r"timeout (\d+)", out)
        total = re.search(r"(\d+) requests in", out)
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
        return {
            "rps": float(rps.group(1)) if rps else 0.0,
            "p99_ms": (float(p99.group(1)) * scale[p99.group(2)]
                       if p99 else float("nan")),
            "requests": int(total.group(1)) if total else 0,
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "errors": errors.group(1).strip() if errors else "",
            # wrk leaves timed-out requests (2 s) out of its percentiles.
            "timeouts": int(timeouts.group(1)) if timeouts else 0,
        }

    def perf_top(self, pid, url, seconds):
        """perf record of the gateway under wrk; top symbols."""
        data = os.path.join(self.dir, "perf.data")
        rec = subprocess.Popen(
            ["perf", "record", "-F", "999", "-g", "-p", str(pid), "-o", data,
             "--", "sleep", str(seconds)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.wrk(url, seconds)
        rec.wait()
        rep = subprocess.run(
            ["perf", "report", "-i", data, "--no-children", "--stdio",
             "--sort", "dso,symbol", "--percent-limit", "2", "-g", "none"],
            capture_output=True, text=True).stdout
        lines = [l.rstrip() for l in rep.splitlines()
                 if l.strip() and not l.startswith("#")]
        return lines[:12]

    def phase_rows(self):
        data_dir = os.path.join(self.dir, "rows", "data")
        os.makedirs(data_dir, exist_ok=True)
        db = os.path.join(data_dir, "moderation.db")
        seed = subprocess.run(
            [sys.executable, os.path.join(os.path.dirname(__file__),
                                          "seed_db.py"),
             "--template", self.template_db, "--out", db,
             "--rows", str(self.seed_rows)],
            capture_output=True, text=True)
        if seed.returncode != 0:
            raise RuntimeError("seed_db failed: " + seed.stderr)
        self.r["seed"] = seed.stdout.strip()
        log(self.r["seed"])
        sims = Sims(self, "rows")
        # The same pending requests as the template's simulator (same seed,
        # same ids): otherwise the startup scan finds the template's
        # reviews gone from Overseerr and closes them (decided elsewhere).
        sims.add(self.backlog)
        stack = Stack(self, "rows", sims, judges=1, threads=72,
                      data_dir=data_dir)
        try:
            colds = []
            for _ in range(self.cold_runs):
                colds.append(stack.start())
                stack.stop()
            self.r["cold_rows"] = colds
            log("cold start seeded DB: " + ", ".join(
                f"{h:.3f}s" for _, h in colds))
            stack.start()
            time.sleep(1)
            if not shutil.which("wrk"):
                self.r["notes"].append("wrk not installed: no HTTP figures")
                return
            self.r["wrk"] = {}
            for name, path in [("GET /api/v1/stats", "/api/v1/stats"),
                               ("GET /api/v1/decisions", "/api/v1/decisions"),
                               ("GET /api/v1/reviews", "/api/v1/reviews"),
                               ("GET /reviews.html (review page)",
                                "/reviews.html")]:
                status, _ = stack.gw("GET", path)
                res = self.wrk(stack.url(path), self.wrk_seconds)
                res["status"] = status
                self.r["wrk"][name] = res
                log(f"wrk {name}: {res['rps']:.0f} req/s p99 "
                    f"{res['p99_ms']:.2f} ms non2xx={res['non2xx']}")
            if self.profile and shutil.which("perf"):
                gw = stack.pids().get("api-gateway")
                self.r["perf_stats"] = self.perf_top(
                    gw, stack.url("/api/v1/stats"), 5)
        finally:
            stack.stop()
            sims.stop()

    # -- report -----------------------------------------------------------
    def run(self):
        t0 = time.time()
        phases = [self.phase_main, self.phase_scaling, self.phase_latency,
                  self.phase_rows]
        for phase in phases:
            log(f"phase {phase.__name__}")
            phase()
        self.r["total_s"] = time.time() - t0
        report = self.report()
        with open(self.args.out, "w") as f:
            f.write(report)
        with open(os.path.splitext(self.args.out)[0] + ".json", "w") as f:
            json.dump(self.r, f, indent=1, default=str)
        log(f"wrote {self.args.out} in {self.r['total_s']:.0f}s")
        if not self.args.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def machine(self):
        cpu = "?"
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("model name"):
                        cpu = line.split(":", 1)[1].strip()
                        break
            with open("/proc/meminfo") as f:
                mem = int(f.readline().split()[1]) // 1024
        except OSError:
            mem = 0
        return (f"{cpu}, {os.cpu_count()} CPUs, {mem} MB RAM, "
                f"{platform.system()} {platform.release()}")

    def commit(self):
        src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        rev = subprocess.run(["git", "-C", src, "rev-parse", "--short=12",
                              "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", src, "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True)
        c = rev.stdout.strip() or "unknown"
        return c + (" (with uncommitted changes)" if dirty.stdout.strip()
                    else "")

    def report(self):
        r = self.r
        L = []
        ok = lambda b: "yes" if b else "**NO**"
        L.append("# PlexStaffAI benchmark report\n")
        L.append(f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}")
        L.append(f"- machine: {self.machine()}")
        L.append(f"- commit: {self.commit()}")
        L.append(f"- build: {self.args.build_type} ({self.bindir})")
        L.append(f"- mode: {'quick (smoke sizes: figures are not meaningful)' if self.quick else 'full'}")
        L.append(f"- total run time: {r['total_s']:.0f} s")
        conc_txt = (f"ai.concurrency: {self.ai_concurrency} written to the config"
                    if self.concurrency_supported else
                    "this build does not know `ai.concurrency` (check-config "
                    "refuses it): limit computed with the default 8 the "
                    "issue names; a judge makes one call at a time")
        L.append(f"- LLM simulator latency {self.latency_ms} ms; {conc_txt}")
        L.append("")
        targets = []

        # Backlog
        b = r.get("backlog", [])
        L.append("## Backlog throughput and ai-judge scaling\n")
        L.append(f"{self.backlog} pending requests in the Overseerr simulator, "
                 "`POST /api/v1/scan`, until every request is decided "
                 "(applied or in review). Times from the scan request to "
                 "the last `decided_at`.\n")
        L.append("| judges | decided | by rules | by AI | end to end (req/s) "
                 "| AI-judged (req/s) | limit judges×conc/latency (req/s) "
                 "| fraction of limit | LLM max in flight | speed-up vs 1 |")
        L.append("|---|---|---|---|---|---|---|---|---|---|")
        one = b[0]["ai_per_s"] if b and b[0]["ai_per_s"] else None
        for x in b:
            sp = f"{x['ai_per_s'] / one:.2f}×" if one else "-"
            inc = "" if x["complete"] else " (cap reached)"
            L.append(f"| {x['judges']} | {x['decided']}/{x['requests']}{inc} | "
                     f"{x['rule']} ({x['rule'] / max(1, x['decided']):.0%}) | "
                     f"{x['ai']} | {x['decided_per_s']:.1f} | "
                     f"{x['ai_per_s']:.2f} | {x['ai_limit_per_s']:.1f} | "
                     f"{x['ai_fraction']:.1%} | {x['max_in_flight']} | {sp} |")
        if b:
            targets.append(("backlog AI rate ≥ 90 % of the concurrency limit",
                            f"{b[0]['ai_fraction']:.1%} (1 judge)",
                            b[0]["ai_fraction"] >= 0.9))
        four = [x for x in b if x["judges"] == 4]
        if four and one:
            targets.append(("4 judges ≥ 3.6× one judge",
                            f"{four[0]['ai_per_s'] / one:.2f}×",
                            four[0]["ai_per_s"] / one >= 3.6))
        L.append("")
        if b:
            x = b[0]
            L.append("Outcomes (1 judge): " + ", ".join(
                f"{k} {v}" for k, v in sorted(x["outcomes"].items())))
            L.append("")

        # LLM usage
        L.append("## LLM usage\n")
        L.append("| measure | value |")
        L.append("|---|---|")
        if b:
            x = b[0]
            ai_n = max(1, x["ai"])
            L.append(f"| LLM calls per AI-judged request | "
                     f"{x['llm_calls'] / ai_n:.2f} ({x['llm_calls']} calls, "
                     f"{x['ai']} requests) |")
            L.append(f"| prompt tokens per AI-judged request | "
                     f"{x['prompt_tokens'] / ai_n:.0f} |")
            L.append(f"| completion tokens per AI-judged request | "
                     f"{x['completion_tokens'] / ai_n:.0f} |")
        if "rescan_calls" in r:
            L.append(f"| LLM calls made by 10 repeated scans of the same "
                     f"backlog | {r['rescan_calls']} (per scan: "
                     f"{r['rescan_per_scan']}) |")
            targets.append(("repeated scans: 0 LLM calls",
                            str(r["rescan_calls"]), r["rescan_calls"] == 0))
        L.append("")

        # Latency
        lat = r.get("latency")
        if lat:
            L.append("## Webhook → decision applied (rule-decided requests)\n")
            L.append(f"{lat['sent']} requests created with `POST /sim/requests` "
                     f"at {self.latency_rate}/s over {lat['span_s']:.1f} s (each "
                     "fires its MEDIA_PENDING webhook); latency = the "
                     "Overseerr simulator's wall clock (us) when the approve "
                     "or decline took (`decided_us` in `GET /sim/state`) "
                     "minus the wall clock just before the bench sent the "
                     "POST.\n")
            L.append("| rule-decided and applied | others (AI / review) | "
                     "not settled 5 s after the last POST (AI queue) | p50 (ms) | p99 (ms) | max (ms) |")
            L.append("|---|---|---|---|---|---|")
            L.append(f"| {lat['rule_applied']} | {lat['other']} | "
                     f"{lat['unsettled']} | {lat['p50']:.1f} | "
                     f"{lat['p99']:.1f} | {lat['max']:.1f} |")
            targets.append(("webhook→applied p99 ≤ 5 ms",
                            f"{lat['p99']:.1f} ms", lat["p99"] <= 5))
            L.append("")

        # wrk
        w = r.get("wrk")
        if w:
            L.append(f"## Gateway HTTP at {self.seed_rows} decision rows\n")
            L.append(f"`wrk -t2 -c64 -d{self.wrk_seconds}s --latency` on "
                     "loopback, gateway.threads 72 (civetweb needs a thread "
                     "per keep-alive connection), the other services idle. "
                     f"Seed: {r.get('seed', '')}.\n")
            L.append("| route | status | req/s | p99 (ms) | requests | non-2xx "
                     "| socket errors |")
            L.append("|---|---|---|---|---|---|---|")
            for name, x in w.items():
                p99 = (f"> 2000 ({x['timeouts']} timed out)"
                       if x.get("timeouts", 0) * 100 >= max(1, x["requests"])
                       else f"{x['p99_ms']:.2f}")
                L.append(f"| {name} | {x['status']} | {x['rps']:.0f} | "
                         f"{p99} | {x['requests']} | "
                         f"{x['non2xx']} | {x['errors'] or '-'} |")
            s = w.get("GET /api/v1/stats")
            if s:
                targets.append(("/api/v1/stats ≥ 40k req/s at 100k rows",
                                f"{s['rps']:.0f} req/s", s["rps"] >= 40000))
            L.append("")
            if r.get("perf_stats"):
                L.append("perf of the gateway under wrk on /api/v1/stats "
                         "(self time, dso/symbol ≥ 2 %):\n")
                L.append("```")
                L += r["perf_stats"]
                L.append("```\n")

        # Memory
        def mem_table(title, mem):
            L.append(f"### {title}\n")
            L.append("| process | RSS (MB) | PSS (MB) |")
            L.append("|---|---|---|")
            rss = pss = 0
            for label, m in mem.items():
                rss += m.get("rss", 0)
                pss += m.get("pss", 0)
                L.append(f"| {label} | {m.get('rss', 0) / 1024:.1f} | "
                         f"{m.get('pss', 0) / 1024:.1f} |")
            L.append(f"| **whole stack** | {rss / 1024:.1f} | "
                     f"{pss / 1024:.1f} |")
            L.append("")
            return pss / 1024
        L.append("## Memory (/proc/PID/smaps_rollup; simulators not counted)"
                 "\n")
        if "mem_idle" in r:
            p = mem_table("Idle (1 judge, empty DB, 5 s after healthy)",
                          r["mem_idle"])
            targets.append(("stack ≤ 30 MB PSS idle", f"{p:.1f} MB", p <= 30))
        if "mem_after" in r:
            p = mem_table("After the backlog (1 judge; 1 s after the last decision, before the bench reads the decision history)", r["mem_after"])
            targets.append(("stack ≤ 45 MB PSS after the backlog",
                            f"{p:.1f} MB", p <= 45))

        # CPU, cold start
        L.append("## Idle CPU and cold start\n")
        L.append("| measure | value |")
        L.append("|---|---|")
        if "idle_cpu_pct" in r:
            L.append(f"| CPU of the idle stack (7 processes) over "
                     f"{r['idle_cpu_s']:.0f} s | {r['idle_cpu_pct']:.2f} % of "
                     "a core |")
            targets.append(("idle CPU ≤ 1 % of a core",
                            f"{r['idle_cpu_pct']:.2f} %",
                            r["idle_cpu_pct"] <= 1))
        for key, what in (("cold_empty", "empty DB"),
                          ("cold_rows", f"{self.seed_rows}-row DB")):
            if key in r:
                h = [x[1] for x in r[key]]
                u = [x[0] for x in r[key]]
                L.append(f"| cold start to healthy, {what} (schema migrated "
                         f"before; {len(h)} runs) | median "
                         f"{statistics.median(h):.3f} s, max {max(h):.3f} s "
                         f"(HTTP answering after median "
                         f"{statistics.median(u):.3f} s) |")
                targets.append((f"cold start ≤ 0.5 s ({what})",
                                f"{statistics.median(h):.3f} s median, "
                                f"{max(h):.3f} s max", max(h) <= 0.5))
        L.append("")

        L.append("## Targets\n")
        L.append("| target | measured | met |")
        L.append("|---|---|---|")
        for name, val, met in targets:
            L.append(f"| {name} | {val} | {ok(met)} |")
        L.append("")
        for n in r["notes"]:
            L.append(f"- {n}")
        analysis = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "ANALYSIS.md")
        if not self.quick and os.path.exists(analysis):
            L.append("")
            with open(analysis) as f:
                L.append(f.read())
        return "\n".join(L) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bindir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory (logs, databases)")
    ap.add_argument("--profile", action="store_true",
                    help="perf record the gateway under wrk on /api/v1/stats")
    ap.add_argument("--build-type", default="Release")
    ap.add_argument("--only", default="",
                    help="comma-separated phases (debugging): main,scaling,"
                         "latency,rows")
    args = ap.parse_args()
    bench = Bench(args)
    if args.only:
        wanted = args.only.split(",")
        t0 = time.time()
        try:
            for name in ("main", "scaling", "latency", "rows"):
                if name in wanted:
                    getattr(bench, "phase_" + name)()
        finally:
            bench.r["total_s"] = time.time() - t0
            print(json.dumps(bench.r, indent=1, default=str))
            if not args.keep:
                shutil.rmtree(bench.dir, ignore_errors=True)
        return
    bench.run()


if __name__ == "__main__":
    main()
