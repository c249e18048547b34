#!/usr/bin/env bash
# test_compose - docker-compose.yml is valid and has the shape the README
# promises: six services from one image, no container_name (so
# `--scale ai-judge=N` works), no fixed host port on ai-judge, the bus
# endpoints by service name in every service, the gateway on 5056.
# Uses Debian's docker-compose (v1) `config`, which needs no engine.
# Exit 77 (skipped) when docker-compose is not installed.
set -euo pipefail
compose_file="${1:-$(dirname "$0")/../../docker-compose.yml}"
if ! command -v docker-compose >/dev/null 2>&1; then
    echo "SKIP: docker-compose is not installed"
    exit 77
fi
if ! python3 -c 'import yaml' 2>/dev/null; then
    echo "SKIP: python3 yaml module missing"
    exit 77
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# A clean environment: what the file says, not what this shell has set.
env -i PATH="$PATH" HOME="$tmp" \
    docker-compose -f "$compose_file" config >"$tmp/resolved.yml" 2>"$tmp/err" || {
    echo "FAIL: docker-compose config rejected $compose_file:"
    cat "$tmp/err"
    exit 1
}
python3 - "$tmp/resolved.yml" "$compose_file" <<'PY'
import re, sys, yaml

resolved = yaml.safe_load(open(sys.argv[1]))
raw = open(sys.argv[2]).read()
failures = []
def check(cond, what):
    if not cond:
        failures.append(what)

names = ["api-gateway", "poller", "enricher", "rule-engine", "ai-judge", "learner"]
services = resolved.get("services", {})
check(sorted(services) == sorted(names), "services are %s" % sorted(services))
check(not re.search(r"^\s*container_name\s*:", raw, re.M), "container_name appears in the file")
bus = {
    "PLEXSTAFFAI_BUS_BIND_ALL": "true",
    "PLEXSTAFFAI_BUS_COLLECT": "tcp://api-gateway:5571",
    "PLEXSTAFFAI_BUS_EVENTS": "tcp://api-gateway:5572",
    "PLEXSTAFFAI_BUS_AUTHORITY": "tcp://api-gateway:5573",
    "PLEXSTAFFAI_BUS_COMMANDS": "tcp://poller:5574",
    "PLEXSTAFFAI_BUS_REQUESTS": "tcp://poller:5575",
    "PLEXSTAFFAI_BUS_ENRICHED": "tcp://rule-engine:5576",
    "PLEXSTAFFAI_BUS_UNDECIDED": "tcp://rule-engine:5577",
    "PLEXSTAFFAI_BUS_MODELS": "tcp://learner:5578",
}
for name in names:
    svc = services.get(name)
    if svc is None:
        continue
    check("container_name" not in svc, "%s has a container_name" % name)
    check(svc.get("image") == "plexstaffai:latest", "%s image is %r" % (name, svc.get("image")))
    check(svc.get("command") == ["plexstaffai-" + name, "--config", "/config/config.yaml"],
          "%s command is %r" % (name, svc.get("command")))
    check(any(str(v).endswith(":/config") or ":/config:" in str(v)
              for v in svc.get("volumes", [])), "%s lacks the /config volume" % name)
    env = svc.get("environment", {})
    for key, value in bus.items():
        check(str(env.get(key)) == value, "%s: %s is %r" % (name, key, env.get(key)))
    check(env.get("PLEXSTAFFAI_DATA_DIR") == "/config", "%s: data dir" % name)
    check(env.get("OVERSEERR_API_URL") == "http://overseerr:5055",
          "%s: OVERSEERR_API_URL default is %r" % (name, env.get("OVERSEERR_API_URL")))
    for key in ["OVERSEERR_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL",
                "WEBHOOK_SECRET", "SCAN_INTERVAL_MINUTES", "TZ"]:
        check(key in env, "%s does not pass %s through" % (name, key))
    if name != "api-gateway":
        check(not svc.get("ports"), "%s publishes ports %r" % (name, svc.get("ports")))

gw = services.get("api-gateway", {})
check(gw.get("environment", {}).get("PLEXSTAFFAI_LISTEN") == "0.0.0.0:5056", "gateway listen")
ports = gw.get("ports", [])
check(any((isinstance(p, dict) and p.get("published") in (5056, "5056") and p.get("target") == 5056)
          or str(p) == "5056:5056" for p in ports), "gateway ports are %r" % ports)

if failures:
    for f in failures:
        print("FAIL:", f)
    sys.exit(1)
print("OK: %d services, bus env everywhere, ai-judge scalable" % len(services))
PY
