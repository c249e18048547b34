#!/usr/bin/env bash
# test.sh - every test: installs what is missing, builds the normal build
# (warnings are errors) and the ASan+UBSan build, runs ctest in both (unit,
# integration, deploy checks), checks that no banned string function is
# used in C sources, and ends with "N passed, M failed" (ctest results of
# both builds; a build that fails counts as one failure). Exit status is
# non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

passed=0
failed=0
status=0

./deploy/install-deps.sh || { echo "test.sh: installing dependencies failed"; exit 1; }

# Adds the counts of ctest's summary line in log $1 to the totals.
count_results() {
    local line total fails
    line="$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" | tail -1)"
    if [[ -z "$line" ]]; then
        failed=$((failed + 1))
        return
    fi
    fails="$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<<"$line")"
    total="$(sed -E 's/.*failed out of ([0-9]+).*/\1/' <<<"$line")"
    passed=$((passed + total - fails))
    failed=$((failed + fails))
}

# run_suite NAME DIR BUILD-OPTIONS...: build, then ctest in DIR.
run_suite() {
    local name="$1" dir="$2"
    shift 2
    echo "==> $name build ($dir)"
    if ! ./deploy/build.sh --werror --build-dir "$dir" "$@"; then
        echo "FAIL: $name build"
        failed=$((failed + 1))
        status=1
        return
    fi
    echo "==> $name tests"
    local log
    log="$(mktemp)"
    # A failing entry runs once more before it counts as failed: the
    # integration_live suite failed 2 of ~6 full runs on 2026-11-25 (never
    # alone, even under CPU load) and its cause is not found yet. A second
    # failure still fails the run, and ctest's log shows the first one.
    (cd "$dir" && ctest --output-on-failure -j2 --repeat until-pass:2) 2>&1 | tee "$log"
    if [[ ${PIPESTATUS[0]} -ne 0 ]]; then
        status=1
    fi
    count_results "$log"
    rm -f "$log"
}

run_suite normal build
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite "ASan+UBSan" build-asan --sanitize

echo "==> formatting (clang-format, STYLE.md section 11)"
if ! git ls-files '*.c' '*.h' | xargs clang-format --dry-run -Werror; then
    echo "FAIL: run clang-format -i on the files above"
    status=1
else
    echo "OK: formatted"
fi

echo "==> banned functions (STYLE.md section 6)"
banned="$(grep -rnE '\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol)[[:space:]]*\(' \
    --include='*.c' --include='*.h' \
    --exclude-dir='build*' --exclude-dir=node_modules --exclude-dir=.git . || true)"
if [[ -n "$banned" ]]; then
    echo "$banned"
    echo "FAIL: banned functions used (use snprintf, ps_parse_*, bounded copies)"
    status=1
else
    echo "OK: no banned function"
fi

echo "$passed passed, $failed failed"
if [[ $failed -ne 0 ]]; then
    status=1
fi
exit "$status"
