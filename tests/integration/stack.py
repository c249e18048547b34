"""A real PlexStaffAI stack on loopback, for integration tests.

Starts the Overseerr and LLM simulators and the six services as separate
processes with a generated config (ipc:// bus endpoints in a temporary
directory, HTTP on free loopback ports), and gives tests small helpers to
query the simulators and the gateway. Python standard library only: the
machines reach no PyPI.
"""
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

SERVICES = ["poller", "enricher", "rule-engine", "learner"]
WEBHOOK_SECRET = "it-webhook-secret"
API_KEY = "it-overseerr-key"


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
            return resp.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            return err.code, json.loads(raw)
        except ValueError:
            return err.code, raw.decode(errors="replace")


def wait_for(predicate, timeout, what, interval=0.2):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Stack:
    def __init__(self, bindir, requests=300, judges=1, llm_latency_ms=20,
                 lease="120s", seerr=False, new_every=0, extra_config="",
                 llm_args=(), ai_timeout_ms=5000, ai_extra="", rules=None):
        """llm_args: extra plexstaffai-llm-sim options; ai_timeout_ms and
        ai_extra ("  key: value" lines) go into the ai: section; rules, when
        given, replaces the body of the rules: section (indented lines)."""
        self.bindir = bindir
        self.requests = requests
        self.judges = judges
        self.llm_latency_ms = llm_latency_ms
        self.lease = lease
        self.seerr = seerr
        self.new_every = new_every
        self.extra_config = extra_config
        self.llm_args = list(llm_args)
        self.ai_timeout_ms = ai_timeout_ms
        self.ai_extra = ai_extra
        self.rules = rules
        self.dir = tempfile.mkdtemp(prefix="ps-it-", dir="/tmp")
        self.procs = {}
        self.logs = {}
        self.gateway_port = free_port()
        # The gateway requires a login: tests act through an admin API
        # token provisioned from the environment, as scripts would.
        self.api_token = secrets.token_hex(24)

    # -- process management -------------------------------------------
    def _spawn(self, name, argv, capture_port=False):
        log = open(os.path.join(self.dir, name + ".log"), "ab")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("OPENAI_", "OVERSEERR_", "WEBHOOK_",
                                    "PLEXSTAFFAI_", "SCAN_INTERVAL"))}
        if name == "api-gateway":
            env["PLEXSTAFFAI_API_TOKEN"] = self.api_token
            env["PLEXSTAFFAI_API_TOKEN_ROLE"] = "admin"
        proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE if capture_port else log,
            stderr=log, env=env)
        self.procs[name] = proc
        self.logs[name] = log
        if capture_port:
            line = proc.stdout.readline().decode().strip()
            if not line.startswith("listening on"):
                raise RuntimeError(f"{name} did not start: {line!r}")
            return int(line.rsplit(":", 1)[1])
        return None

    def _service(self, name):
        binary = os.path.join(self.bindir, "plexstaffai-" + name)
        return [binary, "--config", self.config_path]

    def start(self):
        args = [os.path.join(self.bindir, "plexstaffai-overseerr-sim"),
                "--listen", "127.0.0.1:0", "--api-key", API_KEY,
                "--requests", str(self.requests), "--seed", "7",
                "--webhook-url",
                f"http://127.0.0.1:{self.gateway_port}/webhook/overseerr",
                "--webhook-auth", "Bearer " + WEBHOOK_SECRET]
        if self.seerr:
            args.append("--seerr")
        if self.new_every:
            args += ["--new-every", str(self.new_every)]
        self.overseerr_port = self._spawn("overseerr-sim", args, True)
        self.llm_port = self._spawn("llm-sim", [
            os.path.join(self.bindir, "plexstaffai-llm-sim"),
            "--listen", "127.0.0.1:0",
            "--latency-ms", str(self.llm_latency_ms)] + self.llm_args, True)
        self.config_path = os.path.join(self.dir, "config.yaml")
        with open(self.config_path, "w") as f:
            f.write(self.config_text())
        self.start_gateway()
        for name in SERVICES:
            self._spawn(name, self._service(name))
        for i in range(self.judges):
            self._spawn(f"ai-judge-{i}", self._service("ai-judge"))
        wait_for(self.all_services_beating, 20, "every service heartbeat")
        return self

    def config_text(self):
        d = self.dir
        return f"""
data_dir: {d}/data
scan_interval: 1h
log_level: info
overseerr:
  url: http://127.0.0.1:{self.overseerr_port}
  api_key: {API_KEY}
  page_size: 20
ai:
  base_url: http://127.0.0.1:{self.llm_port}/v1
  api_key: it-llm-key
  timeout_ms: {self.ai_timeout_ms}
{self.ai_extra}rules:
{self.rules_text()}
gateway:
  listen: 127.0.0.1:{self.gateway_port}
  webhook_secret: {WEBHOOK_SECRET}
  lease: {self.lease}
  apply_retry: 2s
bus:
  collect: ipc://{d}/collect
  events: ipc://{d}/events
  authority: ipc://{d}/authority
  commands: ipc://{d}/commands
  requests: ipc://{d}/requests
  enriched: ipc://{d}/enriched
  undecided: ipc://{d}/undecided
  models: ipc://{d}/models
{self.extra_config}
"""

    def rules_text(self):
        if self.rules is not None:
            return self.rules.rstrip("\n")
        return """  min_rating: 5.0
  approve_rating: 8.0
  allowed_genres: [Documentary, Animation]
  blocked_genres: [Horror]"""

    def start_gateway(self):
        self._spawn("api-gateway", self._service("api-gateway"))
        wait_for(lambda: self._gateway_answers(), 10, "the gateway's HTTP")

    def _gateway_answers(self):
        try:
            status, _ = self.gw("GET", "/api/v1/stats", timeout=1)
            return status == 200
        except OSError:
            return False

    def kill(self, name, sig=signal.SIGKILL):
        proc = self.procs.pop(name)
        proc.send_signal(sig)
        proc.wait(timeout=15)
        self.logs.pop(name).close()
        return proc.returncode

    def stop(self):
        for name in list(self.procs):
            proc = self.procs[name]
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = {}
        for name, proc in self.procs.items():
            try:
                proc.wait(timeout=12)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            codes[name] = proc.returncode
            if proc.stdout:
                proc.stdout.close()
        for log in self.logs.values():
            log.close()
        self.procs = {}
        return codes

    def cleanup(self, keep=False):
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, lines=30):
        out = []
        for name in sorted(os.listdir(self.dir)):
            if name.endswith(".log"):
                with open(os.path.join(self.dir, name), "rb") as f:
                    tail = f.read().decode(errors="replace").splitlines()
                out.append(f"--- {name}\n" + "\n".join(tail[-lines:]))
        return "\n".join(out)

    # -- HTTP helpers ----------------------------------------------------
    def gw(self, method, path, body=None, timeout=10, headers=None):
        sent = {"Authorization": "Bearer " + self.api_token}
        sent.update(headers or {})
        return http(method, f"http://127.0.0.1:{self.gateway_port}{path}",
                    body, sent, timeout)

    def sim(self, method, path, body=None):
        return http(method, f"http://127.0.0.1:{self.overseerr_port}{path}",
                    body)

    def llm(self, method, path, body=None):
        return http(method, f"http://127.0.0.1:{self.llm_port}{path}", body)

    def all_services_beating(self):
        _, health = self.gw("GET", "/api/v1/health")
        services = health.get("services", {})
        return all(s.get("ok") for s in services.values()) and services

    def sim_state(self):
        status, state = self.sim("GET", "/sim/state")
        assert status == 200, state
        return state

    def review_ids(self):
        status, body = self.gw("GET", "/api/v1/reviews")
        assert status == 200, body
        return {r["request_id"] for r in body["reviews"]}

    def settled(self):
        """Every request in the simulator is decided there or queued for
        review here; returns the state when so."""
        state = self.sim_state()
        reviews = self.review_ids()
        for req in state["requests"]:
            if req["status"] == 1 and req["id"] not in reviews:
                return None
        return state, reviews

    # -- configuration and health helpers (hot reload) -------------------
    def write_config(self, text, replace=False):
        """Rewrites the running stack's config file: in place (truncate and
        write, as `>` or most editors' "save" do), or with replace=True by
        writing a new file and renaming it over the old one (vim, sed -i,
        Kubernetes ConfigMaps)."""
        if replace:
            tmp = self.config_path + ".tmp"
            with open(tmp, "w") as f:
                f.write(text)
            os.replace(tmp, self.config_path)
        else:
            with open(self.config_path, "w") as f:
                f.write(text)

    def instances(self):
        """{service: [instance, ...]} from /api/v1/health, each instance
        with its config_version and, after a refused reload, config_error."""
        _, health = self.gw("GET", "/api/v1/health")
        return {name: s.get("instances", [])
                for name, s in health.get("services", {}).items()}

    def log_text(self, name):
        with open(os.path.join(self.dir, name + ".log"), "rb") as f:
            return f.read().decode(errors="replace")
