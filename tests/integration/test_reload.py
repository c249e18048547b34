"""Hot reload: a changed config file is picked up by every service without a
restart and without losing work; an invalid one keeps the old rules.

One stack; the test adds a pending request to the simulator every half
second (its webhook gets each one decided) for the whole run. No SIGHUP is
sent: rewriting the file is the only trigger.
1. rules.min_rating 5.0 -> 9.5, rewritten in place: every service reloads
   and reports the new config version in /api/v1/health, and the rule
   engine logs it.
2. Requests decided afterwards follow the new threshold (rule
   rating_below_min with min "9.5").
3. An invalid file (min_ratin), renamed into place: every service keeps
   running on the previous rules and /api/v1/health shows the error with
   its "did you mean"; fixing the file clears it.
4. Nothing was lost: every request ends in exactly one state.
"""
import os
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from stack import Stack, wait_for  # noqa: E402

BINDIR = os.environ.get("PS_BINDIR", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin"))
BACKLOG = 40
FEED_EVERY_S = 0.5
# A change is seen within a second (one stat per second) plus the loop's
# own second and the heartbeat's period: 15 s is generous, even under ASan.
RELOAD_TIMEOUT_S = 15


def assert_each_request_once(test, state, reviews):
    """Each request is decided in Overseerr by exactly one call from us, or
    waits in the review queue untouched (as in test_pipeline.py)."""
    for req in state["requests"]:
        calls = req["approve_calls"] + req["decline_calls"]
        test.assertLessEqual(calls, 1, f"request {req['id']} acted on twice")
        if req["status"] in (2, 3):
            test.assertEqual(calls, 1, f"request {req['id']} decided "
                             "without exactly one call from us")
            test.assertNotIn(req["id"], reviews)
        else:
            test.assertEqual(req["status"], 1)
            test.assertIn(req["id"], reviews)
            test.assertEqual(calls, 0)


class Feeder(threading.Thread):
    """Adds one pending request to the simulator every `every` seconds
    until stop(); the simulator sends Overseerr's webhook for each."""

    def __init__(self, stack, every):
        super().__init__(daemon=True)
        self.stack = stack
        self.every = every
        self.ids = []
        self.errors = []
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.wait(self.every):
            try:
                status, body = self.stack.sim("POST", "/sim/requests",
                                              {"count": 1})
            except OSError as err:
                self.errors.append(str(err))
                continue
            if status == 200:
                self.ids.extend(body["ids"])
            else:
                self.errors.append(f"{status} {body}")

    def stop(self):
        self.stopping.set()
        self.join(timeout=15)


def min_param(decision):
    """The `min` parameter of a rating_below_min decision, as text."""
    params = decision.get("params") or {}
    if isinstance(params, dict):
        return params.get("min")
    for i in range(0, len(params) - 1, 2):  # a flat [name, value, ...] list
        if params[i] == "min":
            return params[i + 1]
    return None


class ReloadTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(BINDIR, requests=BACKLOG).start()
        cls.valid_text = cls.stack.config_text()
        cls.feeder = Feeder(cls.stack, FEED_EVERY_S)
        cls.feeder.start()
        cls.old_version = None
        cls.new_version = None
        cls.changed_ms = None
        cls.reloaded_ms = None

    @classmethod
    def tearDownClass(cls):
        cls.feeder.stop()
        codes = cls.stack.stop()
        failed = {n: c for n, c in codes.items() if c not in (0, -15)}
        cls.stack.cleanup(keep=bool(failed))
        if failed:
            raise AssertionError(f"services exited badly: {failed}")

    # -- helpers ---------------------------------------------------------
    def fail_with_logs(self, err):
        print(self.stack.log_tail(), file=sys.stderr)
        raise err

    def versions(self):
        """Every instance's (service, config_version, config_error)."""
        return [(name, i.get("config_version"), i.get("config_error"))
                for name, instances in self.stack.instances().items()
                for i in instances if i.get("alive")]

    def check_config_version(self):
        """The version check-config computes for the file, in the same
        environment as the stack's services."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("OPENAI_", "OVERSEERR_", "WEBHOOK_",
                                    "PLEXSTAFFAI_", "SCAN_INTERVAL"))}
        out = subprocess.run(
            [os.path.join(BINDIR, "plexstaffai"), "check-config",
             self.stack.config_path], env=env, capture_output=True,
            text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout.strip().rsplit("version ", 1)[1].rstrip(")")

    def decisions(self):
        """Every decision recorded by the gateway, oldest first."""
        rows = []
        cursor = None
        while True:
            path = "/api/v1/decisions?limit=1000"
            if cursor:
                path += f"&cursor={cursor}"
            status, body = self.stack.gw("GET", path)
            self.assertEqual(status, 200, body)
            rows.extend(body["decisions"])
            cursor = body.get("next_cursor")
            if not cursor:
                return sorted(rows, key=lambda d: d["id"])

    def below_min(self, since_ms=0):
        return [d for d in self.decisions()
                if d.get("rule") == "rating_below_min"
                and d["decided_at"] >= since_ms]

    def running(self):
        return {n: p.poll() for n, p in self.stack.procs.items()
                if p.poll() is not None}

    # -- the cases ---------------------------------------------------------
    def test_1_file_change_reloads_every_service(self):
        cls = type(self)
        # Let the backlog and the fed requests flow first.
        wait_for(lambda: len(self.decisions()) >= BACKLOG // 2, 60,
                 "the backlog to start being decided")
        versions = self.versions()
        old = {v for _, v, _ in versions}
        self.assertEqual(len(old), 1, versions)
        cls.old_version = old.pop()
        self.assertEqual(cls.old_version, self.check_config_version())

        started = time.time()
        cls.changed_ms = int(started * 1000)
        self.stack.write_config(
            self.valid_text.replace("min_rating: 5.0", "min_rating: 9.5"))
        cls.new_version = self.check_config_version()
        self.assertNotEqual(cls.new_version, cls.old_version)

        def all_new():
            vs = self.versions()
            return (len(vs) >= 5
                    and all(v == cls.new_version and not e for _, v, e in vs))
        try:
            wait_for(all_new, RELOAD_TIMEOUT_S,
                     "every service to report the new config version")
        except AssertionError as err:
            print(self.versions(), file=sys.stderr)
            self.fail_with_logs(err)
        cls.reloaded_ms = int(time.time() * 1000)
        services = sorted({n for n, _, _ in self.versions()})
        self.assertEqual(services, ["ai-judge", "enricher", "learner",
                                    "poller", "rule-engine"])
        print(f"\n  file rewritten in place: every service on version "
              f"{cls.new_version} after {time.time() - started:.1f} s",
              file=sys.stderr)

        # The rule engine (and every other process) says why it reloaded
        # and what it runs now, once; no restart happened.
        for name in ["rule-engine", "poller", "enricher", "learner",
                     "ai-judge-0", "api-gateway"]:
            log = self.stack.log_text(name)
            self.assertIn(f"configuration file {self.stack.config_path} "
                          "changed, reloading", log, name)
            self.assertEqual(log.count("configuration reloaded version="), 1,
                             name)
            # The gateway sends no heartbeat, and its version also hashes
            # the TZ it sets for itself: only the services' are compared.
            if name != "api-gateway":
                self.assertIn("configuration reloaded "
                              f"version={cls.new_version}", log, name)
        self.assertEqual(self.running(), {})

    def test_2_new_requests_follow_new_threshold(self):
        cls = type(self)
        self.assertIsNotNone(cls.reloaded_ms, "test_1 did not reload")
        try:
            wait_for(lambda: len(self.below_min(cls.reloaded_ms)) >= 3, 60,
                     "requests declined under the new minimum")
        except AssertionError as err:
            self.fail_with_logs(err)
        after = self.below_min(cls.reloaded_ms)
        for d in after:
            self.assertEqual(min_param(d), "9.5", d)
        # Before the file changed, the minimum was 5.
        for d in self.below_min():
            if d["decided_at"] < cls.changed_ms:
                self.assertEqual(float(min_param(d)), 5.0, d)
        rated = [float(d["params"]["rating"]) for d in after
                 if isinstance(d.get("params"), dict)
                 and "rating" in d["params"]]
        print(f"  {len(after)} requests declined under min 9.5 since the "
              f"reload (ratings {sorted(rated)})", file=sys.stderr)
        # Ratings between 5 and 9.5 are what the new rule adds.
        if rated:
            self.assertTrue(any(5.0 <= r < 9.5 for r in rated), rated)

    def test_3_invalid_file_keeps_old_rules(self):
        cls = type(self)
        self.assertIsNotNone(cls.new_version, "test_1 did not reload")
        started = time.time()
        written_ms = int(started * 1000)
        self.stack.write_config(
            self.valid_text.replace("min_rating: 5.0", "min_ratin: 3"),
            replace=True)

        def all_refused():
            vs = self.versions()
            return len(vs) >= 5 and all(
                v == cls.new_version and e and "min_ratin" in e
                and "did you mean" in e for _, v, e in vs)
        try:
            wait_for(all_refused, RELOAD_TIMEOUT_S,
                     "every service to report the refused reload")
        except AssertionError as err:
            print(self.versions(), file=sys.stderr)
            self.fail_with_logs(err)
        refused_s = time.time() - started
        errors = {e for _, _, e in self.versions()}
        for e in errors:
            self.assertIn(f"{self.stack.config_path}:", e)
            self.assertIn("did you mean `min_rating`", e)
        self.assertEqual(self.running(), {})
        log = self.stack.log_text("rule-engine")
        self.assertIn("config reload refused, old configuration kept", log)
        self.assertIn("min_ratin", log)

        # The old rules keep deciding: min 9.5, the last valid file's.
        try:
            wait_for(lambda: len(self.below_min(written_ms)) >= 2, 60,
                     "requests decided while the file is invalid")
        except AssertionError as err:
            self.fail_with_logs(err)
        for d in self.below_min(written_ms):
            self.assertEqual(min_param(d), "9.5", d)
        self.assertEqual(self.running(), {})
        print(f"  invalid file refused by every service after "
              f"{refused_s:.1f} s: {errors.pop()!r}", file=sys.stderr)

        # Fixing the file clears the error on the health page.
        self.stack.write_config(
            self.valid_text.replace("min_rating: 5.0", "min_rating: 9.5"))
        wait_for(lambda: all(v == cls.new_version and not e
                             for _, v, e in self.versions()),
                 RELOAD_TIMEOUT_S, "the error to clear")

    def test_4_nothing_lost(self):
        self.feeder.stop()
        self.assertEqual(self.feeder.errors, [])
        try:
            state, reviews = wait_for(self.stack.settled, 120,
                                      "every request to be decided or "
                                      "reviewed", 0.5)
        except AssertionError as err:
            self.fail_with_logs(err)
        total = BACKLOG + len(self.feeder.ids)
        self.assertEqual(len(state["requests"]), total)
        assert_each_request_once(self, state, reviews)
        # Each request got exactly one pipeline decision at the gateway.
        _, stats = self.stack.gw("GET", "/api/v1/stats")
        self.assertEqual(sum(stats["outcomes"].values()), total,
                         stats["outcomes"])
        self.assertEqual(self.running(), {})
        print(f"  {total} requests ({len(self.feeder.ids)} added during the "
              f"run): each decided once or in review ({len(reviews)})",
              file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
