#!/usr/bin/env bash
# Starts Debian's PostgreSQL (installed with apt when missing), creates the test
# role and a database owned by it if needed (default advisor_test, for
# tests/integration/test_postgres.py; `make scale` and tests/e2e/test_scale.py pass their own
# name), and prints the database's URL.
set -euo pipefail
database="${1:-advisor_test}"
if [[ ! "$database" =~ ^[a-z_][a-z0-9_]*$ ]]; then
  echo "usage: $0 [DATABASE_NAME] (lower-case letters, digits and _)" >&2
  exit 2
fi
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
[ "$(psql_as_postgres "SELECT 1 FROM pg_database WHERE datname = '$database'")" = "1" ] ||
  su postgres -c "createdb -p $port -O advisor_test $database" >&2
echo "postgresql://advisor_test:advisor_test@127.0.0.1:$port/$database"
