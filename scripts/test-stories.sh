#!/usr/bin/env bash
# Rasa test stories (tests/test_*.yml) against the trained model. `rasa test`
# predicts each step and replays the story's own events, so no action server is
# needed; what the actions send is tested by pytest (tests/integration/test_actions.py).
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export DATABASE_URL="sqlite:///$tmp/tracker.db" ACTION_ENDPOINT_URL="http://127.0.0.1:1/webhook"
.venv/bin/rasa test core --model models/advisor.tar.gz --stories tests/ \
  --endpoints endpoints.yml --out results/stories --fail-on-prediction-errors --no-plot
