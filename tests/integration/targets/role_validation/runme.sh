#!/usr/bin/env bash
# Bad variables must stop each role before it changes anything, with a message that says what is
# wrong. Only bad values are used, so nothing on this host is touched.
set -eu
out=$(mktemp)
trap 'rm -f "$out"' EXIT
check() {
  local role=$1 vars=$2 expect=$3
  if ansible-playbook -i localhost, -c local -e "ansible_python_interpreter={{ ansible_playbook_python }}" \
      -e "crhq_role=crhq.platform.$role" -e "$vars" play.yml >"$out" 2>&1; then
    echo "$role accepted: $vars"; cat "$out"; exit 1
  fi
  grep -qF -- "$expect" "$out" || { echo "$role: no message '$expect' for $vars"; cat "$out"; exit 1; }
  grep -Eq "localhost +: ok=[0-9]+ +changed=0 .*failed=1" "$out" || { echo "$role changed something for $vars"; cat "$out"; exit 1; }
  echo "$role refused before any change: $vars"
}
check instance '{"instance_keys_enabled": "perhaps"}' "instance_keys_enabled"
check instance '{"instance_keys": [{"name": "x", "type": "password", "file": "x"}]}' \
  "value of type must be one of: keyring, token, api_key, hub_key, totp, backup_codes"
check instance '{"instance_keys": [{"name": "x", "type": "token"}]}' "missing required arguments: file"
check instance '{"instance_name": "Bad Name"}' \
  'instance_name must be lowercase letters, digits and dashes, starting with a letter (got "Bad Name")'
check instance '{"instance_user": "root"}' "instance_user and instance_group must be valid, non-root account names"
check instance '{"instance_keys": [{"name": "x", "type": "token", "file": "../../etc/passwd"}]}' "files plain names without '/'"
check instance '{"instance_hostname": "203.0.113.10"}' 'instance_hostname must be a lowercase DNS name (got "203.0.113.10")'

check nginx '{"nginx_hostname": "crhq.test", "nginx_upstream": "0.0.0.0:8000"}' \
  'nginx_upstream must be on loopback or a unix socket, never a public address (got "0.0.0.0:8000")'
check nginx '{"nginx_hostname": "crhq.test", "nginx_hsts_max_age": 86400}' "nginx_hsts_max_age must be at least 31536000 (got 86400)"
check nginx '{"nginx_hostname": "crhq.test", "nginx_tls_profile": "old"}' "value of nginx_tls_profile must be one of: intermediate, modern"
check nginx '{"nginx_hostname": "Not A Name"}' 'nginx_hostname must be a lowercase DNS name (got "Not A Name")'

check certbot '{"certbot_hostname": "crhq.test"}' "certbot_email must be a real address for the ACME account"
check certbot '{"certbot_hostname": "crhq.test", "certbot_email": "admin@example.com"}' 'not on an example domain (got "admin@example.com")'
check certbot '{"certbot_hostname": "crhq.test", "certbot_mode": "manual"}' "value of certbot_mode must be one of: acme, self_signed"
check certbot '{"certbot_hostname": "crhq.test", "certbot_email": "ops@crhq.dev", "certbot_acme_directory": "http://acme.test/dir"}' \
  'certbot_acme_directory an https:// URL (got "http://acme.test/dir")'

check hardening '{"hardening_ssh_host_key_algorithms": ["ecdsa-sha2-nistp256"]}' "host keys must not be NIST ECDSA"
check hardening '{"hardening_ssh_allow_groups": []}' "must not be empty (nobody could log in)"
check hardening '{"hardening_ssh_permit_root_login": "yes"}' "value of hardening_ssh_permit_root_login must be one of: prohibit-password, no, forced-commands-only"
check hardening '{"hardening_fail2ban_bantime": "forever"}' "times like"
check hardening '{"hardening_fail2ban_ignoreip": ["my laptop"]}' "my laptop"
check hardening '{"hardening_idle_logout_seconds": "soon"}' "hardening_idle_logout_seconds"
check hardening '{"hardening_mount_dev_shm_options": ["nosuid,noexec"]}' 'one mount option per item, like nosuid (got ["nosuid,noexec"'
check hardening '{"hardening_proc_hidepid": "2"}' "value of hardening_proc_hidepid must be one of: , invisible, noaccess"
check hardening '{"hardening_remote_log_enabled": true, "hardening_remote_log_host": "logs.crhq.dev"}' \
  'hardening_remote_log_ca a PEM certificate'
check hardening '{"hardening_remote_log_enabled": true, "hardening_remote_log_host": "logs at the office"}' \
  'hardening_remote_log_host a host name or address (got "logs at the office")'
check hardening '{"hardening_remote_log_queue_max": "lots"}' 'hardening_remote_log_queue_max a size like 256m (got "lots")'

check firewall '{"firewall_allowed_tcp_ports": [80, 70000]}' "Ports must be 1 to 65535"
check firewall '{"firewall_allowed_tcp_ports": [22, 443]}' "the SSH port is opened by firewall_ssh_port"
check firewall '{"firewall_ssh_sources": ["the office"]}' 'firewall_ssh_sources are addresses or networks like 203.0.113.0/24 (got ["the office"])'
check firewall '{"firewall_ssh_port": "ssh"}' 'Ports must be 1 to 65535 (got ssh "ssh"'

check agent '{"agent_user": "crhq"}' "agent_user and agent_group must be account names other than root, sudo, adm and the app's"
check agent '{"agent_workdir": "/tmp/agent"}' 'agent_workdir must be inside agent_home (got "/tmp/agent")'
check agent '{"agent_denied_networks": ["metadata"]}' 'agent_denied_networks addresses with a prefix length'
check agent '{"agent_etc_allow": ["/var/lib/crhq"]}' "agent_etc_allow paths under /etc/"
check hardening '{"hardening_ssh_trusted_user_ca_keys": ["ssh-ed25519"]}' "must be one public key line"

check backup '{"backup_keep_daily": 0}' "backup_keep_daily must be at least 1"
check backup '{"backup_repository": "rest:https://crhq:s3cret@backup.example.net/acme"}' "backup_repository holds no password"
if grep -q s3cret "$out"; then echo "backup: the refused repository's password is in the output"; cat "$out"; exit 1; fi
check postgresql '{"postgresql_owner": "postgres"}' "the owner not 'postgres'"
check postgresql '{"postgresql_app_role": "crhq"}' 'postgresql_app_role likewise and not the owner (got "crhq")'

check app '{"app_user": "agent"}' "app_user and app_group neither root nor the agent's"
check app '{"app_session_idle_seconds": 50000}' "60 <= app_session_idle_seconds <= app_session_absolute_seconds"
check app '{"app_totp_required": "nobody"}' "value of app_totp_required must be one of: all, staff"
check app '{"app_hostname": "Bad Name"}' 'app_hostname must be a lowercase DNS name (got "Bad Name")'
check app '{"app_bcrypt_cost": "high"}' "app_bcrypt_cost"
check app '{"app_asgi": "crhq_app/asgi.py"}' 'app_asgi empty or one (got "crhq_app.wsgi:application", "crhq_app/asgi.py")'

# site.yml checks every role's variables on every host before its first change (playbooks/preflight.yml): a value
# only the postgresql role refuses stops the run there, before the instance and hardening roles would have run.
# The inventory puts this host in the crhq group; a run that got past the preflight would fail the test.
inventory=$(mktemp)
trap 'rm -f "$out" "$inventory"' EXIT
printf '[crhq]\ncrhq-preflight ansible_connection=local\n' >"$inventory"
site_refused() {
  local vars=$1 expect=$2
  if ansible-playbook -i "$inventory" -e "ansible_python_interpreter={{ ansible_playbook_python }}" \
      -e '{"certbot_mode": "self_signed", "instance_hostname": "acme.crhq.dev"}' -e "$vars" crhq.platform.site >"$out" 2>&1; then
    echo "site.yml accepted: $vars"; cat "$out"; exit 1
  fi
  grep -qF -- "$expect" "$out" || { echo "site.yml: no message '$expect' for $vars"; cat "$out"; exit 1; }
  grep -Eq "crhq-preflight +: ok=[0-9]+ +changed=0 .*failed=1" "$out" || { echo "site.yml changed something for $vars"; cat "$out"; exit 1; }
  if grep -q "^PLAY \[CRHQ instance\]" "$out"; then echo "site.yml went past the preflight for $vars"; cat "$out"; exit 1; fi
  echo "site.yml refused in its preflight, before any role ran: $vars"
}
site_refused '{"postgresql_owner": "postgres"}' "the owner not 'postgres'"
site_refused '{"backup_keep_daily": 0}' "backup_keep_daily must be at least 1"
site_refused '{"agent_workdir": "/tmp/agent"}' 'agent_workdir must be inside agent_home (got "/tmp/agent")'
site_refused '{"hardening_ssh_trusted_user_ca_keys": ["not a key"]}' "each of hardening_ssh_trusted_user_ca_keys must be one public key line"
# an instance name with a dash is a valid name for every role: the database identifiers take an underscore
ansible-playbook -i "$inventory" -e "ansible_python_interpreter={{ ansible_playbook_python }}" \
  -e '{"certbot_mode": "self_signed", "instance_hostname": "acme.crhq.dev", "instance_name": "acme-corp"}' \
  passed.yml >"$out" 2>&1 || { cat "$out"; exit 1; }
grep -Eq "crhq-preflight +: ok=[0-9]+ +changed=0 .*failed=0" "$out" || { cat "$out"; exit 1; }
echo "instance_name acme-corp passes every role's checks, and the roles after the preflight know it"
# a run limited by tags checks the roles it reaches: a value only the postgresql role refuses stops --tags
# postgresql (and a tag of the role's), not --tags nginx, which runs none of postgresql's tasks
preflight() {
  ansible-playbook -i "$inventory" -e "ansible_python_interpreter={{ ansible_playbook_python }}" \
    -e '{"certbot_mode": "self_signed", "instance_hostname": "acme.crhq.dev", "postgresql_owner": "postgres"}' \
    crhq.platform.preflight "$@" >"$out" 2>&1
}
for tags in postgresql postgresql_database,nginx; do
  if preflight --tags "$tags"; then echo "preflight --tags $tags accepted postgresql_owner=postgres"; cat "$out"; exit 1; fi
  grep -qF "the owner not 'postgres'" "$out" || { cat "$out"; exit 1; }
done
preflight --tags nginx || { echo "preflight --tags nginx checked the postgresql role's variables"; cat "$out"; exit 1; }
if ! grep -q "crhq.platform.nginx" "$out" || grep -q "crhq.platform.postgresql" "$out"; then cat "$out"; exit 1; fi
preflight --skip-tags postgresql || { echo "preflight --skip-tags postgresql checked its variables"; cat "$out"; exit 1; }
echo "a run limited by tags checks the variables of the roles it reaches, only"
