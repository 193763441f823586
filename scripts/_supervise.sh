# shellcheck shell=bash
# Sourced by scripts/worker and scripts/beat: run a command, and start it again whenever it
# dies, until this script is told to stop (TERM or INT, which it passes on and then waits).
# Restarts back off from 1 s to 30 s while the command keeps dying within a minute of starting.

supervise() {
    local name=$1 child="" rc started delay=1 stopping=false
    shift
    trap 'stopping=true; [[ -n "$child" ]] && kill -TERM "$child" 2>/dev/null' TERM INT
    while :; do
        started=$SECONDS
        "$@" &
        child=$!
        # `wait` returns early when a trapped signal arrives: wait again until the child is gone.
        while :; do
            wait "$child"
            rc=$?
            kill -0 "$child" 2>/dev/null || break
        done
        child=""
        if $stopping; then
            return 0
        fi
        if ((SECONDS - started > 60)); then delay=1; fi
        printf '%s: %s exited with status %s; restarting in %s s\n' \
            "$(date -u +%FT%TZ)" "$name" "$rc" "$delay" >&2
        sleep "$delay" &
        wait $! || true
        if $stopping; then return 0; fi
        delay=$((delay * 2 > 30 ? 30 : delay * 2))
    done
}
