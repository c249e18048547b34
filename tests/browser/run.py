"""Runs one browser suite (tests/browser/<suite>.mjs) against a real stack.

Starts the simulators, the services and the gateway on loopback
(tests/integration/stack.py), adds a request whose title is an HTML
injection attempt, waits until every request is decided or queued for
review, then runs `node <suite>.mjs` with what the suite needs in its
environment:

  PS_BASE_URL        the gateway, http://127.0.0.1:<port>
  PS_SIM_URL         the Overseerr simulator (GET /sim/state)
  PS_ADMIN_USER      "admin", the account the gateway bootstrapped
  PS_ADMIN_PASSWORD  its one-time password, read from admin-password.txt
  PS_API_TOKEN       an admin API token, for setup and cross-check calls
  PS_DB_COUNTS       JSON {"approve","decline","review","ai"} read from
                     moderation.db with sqlite3 once the stack settled
  PS_XSS_ID          the request id of the injection attempt
  PS_XSS_TITLE       its title
  PS_SCREENSHOT_DIR  where screenshots go
  PS_CHROMIUM        the browser binary (Debian's chromium)

Usage: run.py <suite> (flows | screens). Exit status: node's. The stack's
logs are printed when the suite fails.
"""
import json
import os
import sqlite3
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from stack import Stack, wait_for  # noqa: E402

BINDIR = os.environ.get("PS_BINDIR", os.path.join(HERE, "..", "..", "build",
                                                  "bin"))
NODE = os.environ.get("PS_NODE", "node")
CHROMIUM = os.environ.get("PS_CHROMIUM", "/usr/bin/chromium")
SCREENSHOT_DIR = os.environ.get("PS_SCREENSHOT_DIR",
                                os.path.join(BINDIR, "..", "screenshots"))
SUITE_TIMEOUT_S = int(os.environ.get("PS_SUITE_TIMEOUT", "240"))

XSS_TITLE = "<img src=x onerror=alert(1)>"

# The starting policy plus a keyword rule that sends the injection attempt
# to staff review, so it shows on the review queue as well as in history;
# no weekly quota, so which user the simulator picks changes nothing.
RULES = """  min_rating: 5.0
  approve_rating: 8.0
  allowed_genres: [Documentary, Animation]
  blocked_genres: [Horror]
  keywords:
    review: [onerror]
  user_quotas:
    default: 0"""


def db_counts(data_dir):
    """What the overview's cards must show, straight from the database."""
    db = sqlite3.connect(os.path.join(data_dir, "moderation.db"))
    try:
        one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "approve": one("SELECT COUNT(*) FROM requests"
                           " WHERE outcome = 'approve'"),
            "decline": one("SELECT COUNT(*) FROM requests"
                           " WHERE outcome = 'decline'"),
            "review": one("SELECT COUNT(*) FROM requests"
                          " WHERE state = 'in_review'"),
            "ai": one("SELECT COUNT(*) FROM usage"),
        }
    finally:
        db.close()


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: run.py <suite>   (tests/browser/<suite>.mjs)")
    suite = os.path.join(HERE, sys.argv[1] + ".mjs")
    if not os.path.isfile(suite):
        sys.exit(f"no such suite: {suite}")
    os.makedirs(SCREENSHOT_DIR, exist_ok=True)
    stack = Stack(BINDIR, requests=30, rules=RULES).start()
    ok = False
    try:
        status, added = stack.sim("POST", "/sim/requests",
                                  {"title": XSS_TITLE, "type": "movie"})
        assert status == 200, f"simulator refused the request: {added}"
        xss_id = added["ids"][0]
        wait_for(stack.settled, 90,
                 "every request decided or queued for review", 0.5)
        with open(os.path.join(stack.dir, "data",
                               "admin-password.txt")) as f:
            password = f.read().split("password: ")[1].strip()
        env = dict(os.environ)
        env.update({
            "PS_BASE_URL": f"http://127.0.0.1:{stack.gateway_port}",
            "PS_SIM_URL": f"http://127.0.0.1:{stack.overseerr_port}",
            "PS_ADMIN_USER": "admin",
            "PS_ADMIN_PASSWORD": password,
            "PS_API_TOKEN": stack.api_token,
            "PS_DB_COUNTS": json.dumps(db_counts(os.path.join(stack.dir,
                                                              "data"))),
            "PS_XSS_ID": str(xss_id),
            "PS_XSS_TITLE": XSS_TITLE,
            "PS_SCREENSHOT_DIR": os.path.abspath(SCREENSHOT_DIR),
            "PS_CHROMIUM": CHROMIUM,
        })
        node = subprocess.Popen([NODE, "--test-reporter=spec", suite],
                                env=env, cwd=HERE)
        try:
            rc = node.wait(timeout=SUITE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            # SIGTERM first: puppeteer closes its browser on it.
            print(f"{sys.argv[1]}: over {SUITE_TIMEOUT_S}s, stopped",
                  flush=True)
            node.terminate()
            try:
                node.wait(timeout=10)
            except subprocess.TimeoutExpired:
                node.kill()
                node.wait()
            rc = 1
        ok = rc == 0
    finally:
        stack.stop()
        if not ok:
            print(stack.log_tail(40), flush=True)
        stack.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
