#!/usr/bin/env bash
# Starts Debian's PostgreSQL (installed with apt when missing), creates the test
# role and database if needed, and prints their URL for tests/test_postgres.py.
set -euo pipefail
if ! command -v pg_lsclusters >/dev/null; then
  echo "Installing Debian's postgresql for the PostgreSQL tests" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
read -r version cluster port status _ < <(pg_lsclusters -h | head -n 1)
if [ "$status" != "online" ]; then
  pg_ctlcluster "$version" "$cluster" start >&2
fi
psql_as_postgres() { su postgres -c "psql -q -p $port -tA -c \"$1\""; }
[ "$(psql_as_postgres "SELECT 1 FROM pg_roles WHERE rolname = 'advisor_test'")" = "1" ] ||
  psql_as_postgres "CREATE ROLE advisor_test LOGIN PASSWORD 'advisor_test'" >&2
[ "$(psql_as_postgres "SELECT 1 FROM pg_database WHERE datname = 'advisor_test'")" = "1" ] ||
  su postgres -c "createdb -p $port -O advisor_test advisor_test" >&2
echo "postgresql://advisor_test:advisor_test@127.0.0.1:$port/advisor_test"
