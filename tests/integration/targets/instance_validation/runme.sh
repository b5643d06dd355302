#!/usr/bin/env bash
# Bad variables must stop crhq.platform.instance before it changes anything, with a message that
# says what is wrong. Only bad values are used, so nothing on this host is touched.
set -eu
out=$(mktemp)
trap 'rm -f "$out"' EXIT
check() {
  local vars=$1 expect=$2
  if ansible-playbook -i localhost, -c local -e "ansible_python_interpreter={{ ansible_playbook_python }}" \
      -e "$vars" play.yml >"$out" 2>&1; then
    echo "accepted: $vars"; cat "$out"; exit 1
  fi
  grep -qF -- "$expect" "$out" || { echo "no message '$expect' for $vars"; cat "$out"; exit 1; }
  grep -Eq "localhost +: ok=[0-9]+ +changed=0 .*failed=1" "$out" || { echo "something changed for $vars"; cat "$out"; exit 1; }
  echo "refused before any change: $vars"
}
check '{"instance_keys_enabled": "perhaps"}' "instance_keys_enabled"
check '{"instance_keys": [{"name": "x", "type": "password", "file": "x"}]}' \
  "value of type must be one of: keyring, token, api_key, hub_key, totp, backup_codes"
check '{"instance_keys": [{"name": "x", "type": "token"}]}' "missing required arguments: file"
check '{"instance_name": "Bad Name"}' \
  'instance_name must be lowercase letters, digits and dashes, starting with a letter (got "Bad Name")'
check '{"instance_user": "root"}' "instance_user and instance_group must be valid, non-root account names"
check '{"instance_keys": [{"name": "x", "type": "token", "file": "../../etc/passwd"}]}' "files plain names without '/'"
