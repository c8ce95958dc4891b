#!/usr/bin/env bash
# Mutation testing: how many deliberate small bugs in src/ does `cargo test` catch?
#
# Installs cargo-mutants (pinned) if it is missing, then runs it over the files
# given (default: all of src/). Slow: every mutant is a rebuild plus a test
# run, so a whole-crate run takes hours on two cores; it is not part of CI.
#
#   scripts/mutants.sh                       # everything under src/
#   scripts/mutants.sh src/measures/validate.rs src/measures/summation.rs
#
# The outcome is in mutants.out/: caught.txt, missed.txt (survivors), timeout.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo mutants --version >/dev/null 2>&1; then
    cargo install cargo-mutants --locked --version 27.1.0
fi

args=()
for f in "$@"; do
    args+=(--file "$f")
done

# cargo-mutants exits 2 when mutants survive: report, do not fail the script.
status=0
cargo mutants --no-shuffle --timeout 300 "${args[@]}" || status=$?
caught=$(wc -l < mutants.out/caught.txt || echo 0)
missed=$(wc -l < mutants.out/missed.txt || echo 0)
total=$((caught + missed))
if [ "$total" -gt 0 ]; then
    echo "mutation score: $caught caught of $total viable mutants ($((100 * caught / total))%)"
    echo "survivors (each needs a new test or an explanation of why it is equivalent):"
    cat mutants.out/missed.txt
fi
exit $(( status == 2 ? 0 : status ))
