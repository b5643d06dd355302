# shellcheck shell=bash
# Common environment for the project's scripts: sourced, not run.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${CRHQ_VENV:-$ROOT/.venv}
export PATH="$VENV/bin:$PATH"
# The repo root is the collection root: expose it as ansible_collections/crhq/platform.
COLLECTIONS_DIR="$ROOT/.tmp/collections"
export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS_DIR"
export PYTHONPATH="$COLLECTIONS_DIR${PYTHONPATH:+:$PYTHONPATH}"
export PY_COLORS=0 ANSIBLE_FORCE_COLOR=0 ANSIBLE_NOCOLOR=1

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }

link_collection() {
  mkdir -p "$COLLECTIONS_DIR/ansible_collections/crhq"
  ln -sfn "$ROOT" "$COLLECTIONS_DIR/ansible_collections/crhq/platform"
}

# shellcheck disable=SC2034  # used by the scripts that source this file
# systemd-in-docker options from docs/testing.md; molecule.yml says the same in its own keys.
SYSTEMD_RUN_OPTS=(--cap-add SYS_ADMIN --cap-add NET_ADMIN --cap-add SYS_PACCT --security-opt seccomp=unconfined
  --security-opt apparmor=unconfined --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw
  --tmpfs /run --tmpfs /run/lock)
