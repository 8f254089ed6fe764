#!/usr/bin/env bash
# Run the whole suite. pytest's exit status is ours: non-zero when anything fails or nothing ran.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1
if [ -n "${DATABASE_URL:-}" ]; then echo "database: PostgreSQL ($DATABASE_URL)"; else echo "database: SQLite"; fi
if [ -n "${REDIS_URL:-}" ]; then echo "jobs: RQ on Redis ($REDIS_URL)"; else echo "jobs: in-process"; fi
exec .venv/bin/python -m pytest "$@"
