#!/usr/bin/env bash
# test_config_docs - the shipped config.yaml sets every key of the schema
# (common/ps_config.c s_keys), and README.md's configuration reference
# names every key and every environment variable (s_envs). A key added to
# the schema without documentation fails here.
# Usage: test_config_docs.sh REPO_ROOT. Exit 77 (skipped) without python3.
set -euo pipefail
root="${1:-$(dirname "$0")/../..}"
if ! python3 -c 'import yaml' 2>/dev/null; then
    echo "SKIP: python3 with the yaml module is needed"
    exit 77
fi
python3 - "$root" <<'PY'
import re, sys, yaml

root = sys.argv[1]
source = open(root + "/common/ps_config.c").read()
keys = re.findall(r'^\s*K\("([a-z0-9_.]+)"', source, re.M)
env_block = source[source.index("s_envs[] = {"):]
env_block = env_block[:env_block.index("};")]
envs = re.findall(r'\{"([A-Z0-9_]+)",\s*"', env_block)
if len(keys) < 50 or len(envs) < 20:
    sys.exit("FAIL: could not read the schema (%d keys, %d env)" % (len(keys), len(envs)))

def flatten(node, prefix=""):
    out = set()
    for name, value in (node or {}).items():
        path = prefix + str(name)
        if isinstance(value, dict):
            out |= flatten(value, path + ".")
        else:
            out.add(path)
    return out

config = flatten(yaml.safe_load(open(root + "/config.yaml")))
readme = open(root + "/README.md").read()
failures = []
for key in keys:
    if key not in config:
        failures.append("config.yaml lacks %s" % key)
    if "`%s`" % key not in readme:
        failures.append("README.md does not document `%s`" % key)
for key in sorted(config - set(keys)):
    failures.append("config.yaml sets unknown key %s" % key)
for env in envs:
    if "`%s`" % env not in readme:
        failures.append("README.md does not document `%s`" % env)
for f in failures:
    print("FAIL:", f)
if failures:
    sys.exit(1)
print("OK: %d keys and %d environment variables documented" % (len(keys), len(envs)))
PY
