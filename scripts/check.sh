#!/usr/bin/env bash
# Lint and type-check side by side (each is one core's work for a minute on two cores); fails if either does.
set -uo pipefail
cd "$(dirname "$0")/.."
npm run --silent lint & lint=$!
npm run --silent typecheck; typecheck=$?
wait "$lint"; lint=$?
exit $(( lint || typecheck ))
