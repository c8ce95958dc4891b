#!/usr/bin/env bash
# Mutation testing: how many deliberate small bugs in src/ do the tests catch?
#
# Installs cargo-mutants (pinned) if it is missing, then runs it over the files
# given (default: all of src/), or over a systematic sample of all mutants.
# Every mutant is a rebuild plus a run of the tests (through cargo-nextest,
# which runs the same tests as `cargo test` except the doctests): about 30 s
# each on two cores, so the crate's 9 000-odd mutants would take days. It is
# not part of CI.
#
#   scripts/mutants.sh --sample 155          # every 155th mutant (about 60)
#   scripts/mutants.sh --sample 155 --shard 2   # the next 60, disjoint from it
#   scripts/mutants.sh src/measures/validate.rs src/measures/summation.rs
#   scripts/mutants.sh FILES -- --lib --test validation_errors   # only these tests
#
# The outcome is in mutants.out/ (caught.txt, missed.txt, unviable.txt,
# outcomes.json). It joins the committed record reports/mutation-runs.json,
# and reports/mutation.md is written from that record, by
#   python3 scripts/mutation_report.py --run "COMMAND" mutants.out
# with the survivors' explanations from scripts/mutants-explained.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo mutants --version >/dev/null 2>&1; then
    cargo install cargo-mutants --locked --version 27.1.0
fi
if ! cargo nextest --version >/dev/null 2>&1; then
    cargo install cargo-nextest --locked
fi

files=()
sample=""
shard=0
while [ $# -gt 0 ]; do
    case "$1" in
        --sample) sample="$2"; shift 2 ;;
        --shard) shard="$2"; shift 2 ;;
        --) break ;;
        *) files+=(--file "$1"); shift ;;
    esac
done
args=("${files[@]}")
if [ -n "$sample" ]; then
    args+=(--shard "$shard/$sample" --sharding round-robin)
fi

# cargo-mutants exits 2 when mutants survive: report, do not fail the script.
status=0
cargo mutants --no-shuffle --test-tool nextest --timeout 300 "${args[@]}" "$@" || status=$?
# The whole list the run drew from: the report tells samples of the same
# code apart from samples of earlier code by it.
cargo mutants --list "${files[@]}" > mutants.out/all-mutants.txt
caught=$(wc -l < mutants.out/caught.txt || echo 0)
missed=$(wc -l < mutants.out/missed.txt || echo 0)
total=$((caught + missed))
if [ "$total" -gt 0 ]; then
    echo "mutation score: $caught caught of $total viable mutants ($((100 * caught / total))%)"
    echo "survivors (each needs a new test or an explanation of why it is equivalent):"
    cat mutants.out/missed.txt
fi
exit $(( status == 2 ? 0 : status ))
