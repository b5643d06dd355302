#!/usr/bin/env bash
# crhq.platform.role_selected against the tags ansible-playbook really passes (ansible_run_tags, ansible_skip_tags):
# the roles skip their read-only probes, which are tagged always, only when a run's tags reach none of their tasks.
set -eu
out=$(mktemp)
trap 'rm -f "$out"' EXIT
all=instance,hardening,firewall,postgresql,app,nginx,certbot,backup,agent
expect() {
  local want=$1
  shift
  ansible-playbook -i localhost, -c local -e "ansible_python_interpreter={{ ansible_playbook_python }}" play.yml "$@" >"$out" 2>&1 \
    || { cat "$out"; exit 1; }
  grep -qF "\"msg\": \"reached: $want\"" "$out" || { echo "with $* expected the roles '$want'"; cat "$out"; exit 1; }
  echo "with ${*:-no tags}: $want"
}
expect "$all"
expect app --tags app
expect hardening,postgresql --tags hardening_ssh,postgresql
expect "$all" --tags os  # a playbook's own tag on a role may reach any of them
expect instance,firewall,postgresql,app,nginx,certbot,backup,agent --skip-tags hardening
expect "$all" --skip-tags hardening_ssh  # the role's other concerns still run
expect "" --tags app --skip-tags app
expect "" --tags always
