# shellcheck shell=bash
# Sourced (not run) by scripts/test and scripts/quickstart, from the repo root, so the
# virtualenv logic lives in one place.

# ensure_venv REQFILE...
#   Makes sure .venv exists and has every REQFILE installed.
#   - Creates .venv with `python3 -m venv` when it is missing, and rebuilds it when its
#     python no longer runs (e.g. the interpreter it was made from was removed).
#   - Skips pip entirely when the stamp file .venv/.<last REQFILE without .txt>.sha holds
#     the sha256 of the REQFILEs' contents, so repeated runs cost nothing. Each caller
#     gets its own stamp: `ensure_venv requirements.txt requirements-dev.txt` uses
#     .venv/.requirements-dev.sha, `ensure_venv requirements.txt` .venv/.requirements.sha.
#     List every file that matters (also ones pulled in with -r) so that editing any of
#     them triggers a reinstall.
#   - Quiet on success; on failure prints pip's whole output and returns non-zero.
ensure_venv() {
    local stamp want have req
    local -a pip_args=()

    # Every failure below returns explicitly: callers may run `ensure_venv ... || exit 1`,
    # and bash ignores `set -e` inside a function called that way.
    for req in "$@"; do
        [[ -f "$req" ]] || { echo "ensure_venv: $req not found in $PWD" >&2; return 1; }
    done

    if [[ ! -x .venv/bin/python ]]; then
        python3 -m venv .venv || return 1
    elif ! .venv/bin/python -c '' 2>/dev/null; then
        echo "ensure_venv: .venv/bin/python does not run; rebuilding .venv" >&2
        python3 -m venv --clear .venv || return 1
    fi

    stamp=".venv/.$(basename "${*: -1}" .txt).sha"
    want=$(cat "$@" | sha256sum | cut -d' ' -f1) || return 1
    have=$(cat "$stamp" 2>/dev/null || true)
    if [[ "$want" == "$have" ]]; then
        return 0
    fi

    for req in "$@"; do
        pip_args+=(-r "$req")
    done
    venv_pip_install "${pip_args[@]}" || return 1
    # Written only after a successful install, so a failed or interrupted one is retried.
    echo "$want" >"$stamp" || return 1
}

# venv_pip_install ARGS...: `.venv/bin/pip install -q ARGS...`, unattended. Its output
# (warnings included) goes to a log that is printed only if the install fails.
venv_pip_install() {
    local log rc=0
    log=$(mktemp) || return 1
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 \
        .venv/bin/pip install -q "$@" </dev/null >"$log" 2>&1 || rc=$?
    if [[ $rc -ne 0 ]]; then
        echo "pip install $* FAILED (exit $rc):" >&2
        cat "$log" >&2
    fi
    rm -f "$log"
    return "$rc"
}
