#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests (Debian's postgresql package): a fresh cluster in
# DIR, password authentication on a free localhost port, run as a non-root user.
#   eval "$(scripts/throwaway_postgres.sh start DIR)"   starts it; prints the variables the tests read
#   scripts/throwaway_postgres.sh stop DIR              stops it and removes DIR
# Tests run it without fsync (a crash of the machine may lose it: it is thrown away anyway);
# THROWAWAY_PG_FSYNC=on keeps PostgreSQL's default durability, for benchmarks.
set -euo pipefail
action=${1:?start|stop} dir=${2:?directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "throwaway_postgres: no PostgreSQL server installed (Debian package postgresql)" >&2; exit 1; }
# The server refuses to run as root: then it runs as the postgres account the package creates.
as_owner=()
[ "$(id -u)" -eq 0 ] && as_owner=(runuser -u postgres --)

case "$action" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    echo "$password" >"$dir/password"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir/password"
    "${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U metaevo --pwfile="$dir/password" --auth-local=trust \
      --auth-host=scram-sha-256 -E UTF8 >"$dir/initdb.log" 2>&1
    options="-c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=${THROWAWAY_PG_FSYNC:-off}"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-p $port -k $dir $options" start >/dev/null
    echo "export METAEVO_TEST_POSTGRES=postgresql://metaevo@127.0.0.1:$port/postgres"
    echo "export PGPASSWORD=$password"
    # What the server-fault tests need to restart it.
    echo "export METAEVO_TEST_PG_CTL='${as_owner[*]} $bin/pg_ctl -D $dir/data -l $dir/server.log -w -o \"-p $port -k $dir $options\"'"
    ;;
  stop)
    if [ -d "$dir/data" ]; then "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
    ;;
  *) echo "throwaway_postgres: unknown action '$action' (start|stop)" >&2; exit 2 ;;
esac
