#!/usr/bin/env bash
# The shipped model (knowledge/ranker.model) is what `careerbot kb train`
# writes from the shipped knowledge and training questions: retraining is
# deterministic, so a change to the features, the synonyms, the entries or
# the training questions that was not followed by a retrain fails here.
# Usage: check_model_test.sh CAREERBOT DB SOURCE_DIR
set -euo pipefail
careerbot=$1 db=$2 root=$3
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$careerbot" kb train --db "$db" --questions "$root/knowledge/train/questions.jsonl" --out "$work/ranker.model" >"$work/report"
if ! cmp -s "$work/ranker.model" "$root/knowledge/ranker.model"; then
  echo "FAIL: knowledge/ranker.model is not what kb train writes from this tree. Retrain:"
  echo "  build/careerbot kb build --db /tmp/kb.db && build/careerbot kb train --db /tmp/kb.db --out knowledge/ranker.model"
  diff "$root/knowledge/ranker.model" "$work/ranker.model" | head -20
  exit 1
fi
cat "$work/report"
