#!/usr/bin/env bash
# Generate every kind of material on this host at -vvv with --diff, in normal and check mode, make
# failures happen, and prove that no generated value appears anywhere in Ansible's output.
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
out="$dir/output.log"
for mode in "" "--check" ""; do
  # shellcheck disable=SC2086
  ansible-playbook -i localhost, -c local -vvv --diff $mode -e "dir=$dir" \
    -e "ansible_python_interpreter={{ ansible_playbook_python }}" playbook.yml >>"$out" 2>&1
done
grep -q "AnsiballZ_secret.py" "$out"  # the module really ran
found=0
count=0
while IFS= read -r value; do
  [ -n "$value" ] || continue
  count=$((count + 1))
  if grep -qF -- "$value" "$out"; then echo "secret value found in the output: ${value:0:6}..."; found=1; fi
done < <(python3 -c '
import json, pathlib, sys
for p in sorted(pathlib.Path(sys.argv[1]).glob("m/*")):
    text = p.read_text()
    if text.lstrip().startswith("{"):
        for k in json.loads(text)["keys"]:
            print(k["key"])
    else:
        print("\n".join(line for line in text.splitlines() if line.strip()))
' "$dir")
[ "$count" -ge 15 ] || { echo "expected at least 15 secret values, read $count"; exit 1; }
[ "$found" = 0 ]
echo "no secret in $(wc -l <"$out") lines of -vvv output ($count values checked)"
