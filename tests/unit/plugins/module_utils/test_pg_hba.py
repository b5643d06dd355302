# -*- coding: utf-8 -*-
"""Extra pg_hba.conf entries: what is written for good entries, and every refusal with the entry's index."""

from __future__ import annotations

import pytest

from ansible_collections.crhq.platform.plugins.module_utils.pg_hba import (
    REFUSED_METHODS, HbaEntryError, check_entries, render_lines)


def entry(**fields):
    base = {"type": "host", "database": "crhq", "user": "crhq", "address": "10.0.0.0/24", "method": "scram-sha-256"}
    base.update(fields)
    return {key: value for key, value in base.items() if value is not None}


def local(**fields):
    fields.setdefault("address", None)
    fields.setdefault("method", "peer")
    return entry(type="local", **fields)


def refused(bad, match, index=0):
    """The message of the HbaEntryError raised for `bad` at position `index` of a list of good entries."""
    entries = [entry()] * index + [bad]
    with pytest.raises(HbaEntryError) as info:
        render_lines(entries)
    assert str(info.value).startswith("postgresql_hba_extra_entries[%d]: " % index), str(info.value)
    assert match in str(info.value), str(info.value)
    return str(info.value)


# ---------------------------------------------------------------------------------------------------------------
# Good entries
# ---------------------------------------------------------------------------------------------------------------

def test_no_entries_no_lines():
    assert render_lines([]) == []
    assert render_lines(None) == []
    assert check_entries(()) == []


def test_local_peer_is_aligned_like_the_roles_own_lines():
    # the role's template writes exactly this line for postgres
    assert render_lines([local(database="all", user="postgres")]) == [
        "local   all                      postgres                                peer"]


def test_host_scram_with_a_cidr_network():
    assert render_lines([entry()]) == [
        "host    crhq                     crhq                     10.0.0.0/24    scram-sha-256"]


@pytest.mark.parametrize("address, written", [
    ("10.0.0.7", "10.0.0.7/32"),
    ("127.0.0.1", "127.0.0.1/32"),
    ("10.0.0.0/255.255.255.0", "10.0.0.0/24"),
    ("0.0.0.0/0", "0.0.0.0/0"),
    ("2001:db8::/32", "2001:db8::/32"),
    ("2001:0DB8:0000:0000::/64", "2001:db8::/64"),
    ("fd00::1", "fd00::1/128"),
    ("::1", "::1/128"),
])
def test_addresses_are_written_as_networks(address, written):
    assert check_entries([entry(address=address)])[0]["address"] == written


def test_the_roles_own_host_line_is_what_a_single_address_gives():
    assert render_lines([entry(address="127.0.0.1")]) == [
        "host    crhq                     crhq                     127.0.0.1/32   scram-sha-256"]


def test_hostssl_with_options_and_a_comment():
    lines = render_lines([entry(type="hostssl", user="monitoring", options="clientcert=verify-full clientname=CN",
                                comment="  the monitoring server  ")])
    assert lines == ["# the monitoring server",
                     "hostssl crhq                     monitoring               10.0.0.0/24    scram-sha-256 "
                     "clientcert=verify-full clientname=CN"]


def test_long_fields_keep_one_space_between_columns():
    line = render_lines([entry(database="a" * 30, user="b" * 30, address="2001:db8:1234:5678::/64")])[0]
    assert line.split(" ") == ["host", "", "", "", "a" * 30, "b" * 30, "2001:db8:1234:5678::/64", "scram-sha-256"]


@pytest.mark.parametrize("database, user, database_text, user_text", [
    ("all", "all", "all", "all"),
    ("sameuser", "+crhq_readers", "sameuser", "+crhq_readers"),
    ("samerole", "all", "samerole", "all"),
    ("replication", "replicator", "replication", "replicator"),
    ("crhq,crhq_test", "crhq,crhq_app", "crhq,crhq_test", "crhq,crhq_app"),
    (["crhq", "reports"], ["monitoring", "+pg_monitor"], "crhq,reports", "monitoring,+pg_monitor"),
    ("db-1.x$", "Mixed_Case9", "db-1.x$", "Mixed_Case9"),
])
def test_names_keywords_lists_and_groups(database, user, database_text, user_text):
    checked = check_entries([entry(database=database, user=user)])[0]
    assert (checked["database"], checked["user"]) == (database_text, user_text)


@pytest.mark.parametrize("kind, method", [
    ("local", "scram-sha-256"), ("local", "reject"), ("local", "peer"),
    ("host", "reject"), ("host", "gss"), ("hostssl", "cert"), ("hostssl", "gss"), ("hostnossl", "scram-sha-256"),
    ("hostgssenc", "gss"), ("hostnogssenc", "scram-sha-256"),
])
def test_allowed_methods_for_their_types(kind, method):
    fields = {"type": kind, "method": method}
    if kind == "local":
        fields["address"] = None
    assert check_entries([entry(**fields)])[0]["method"] == method


def test_options_fitting_the_methods():
    assert render_lines([local(options="map=backup")])[0].endswith("peer map=backup")
    assert render_lines([entry(type="hostssl", method="cert", options="clientcert=verify-full map=certs")])[0].endswith(
        "cert clientcert=verify-full map=certs")
    assert render_lines([entry(method="gss", options="include_realm=1 krb_realm=EXAMPLE.COM")])[0].endswith(
        "gss include_realm=1 krb_realm=EXAMPLE.COM")


def test_entries_keep_their_order_and_empty_optionals_add_nothing():
    lines = render_lines([entry(address="10.0.0.1", comment=""), local(options="", address=""), entry(method="reject")])
    assert [line.split()[0] for line in lines] == ["host", "local", "host"]
    assert lines[0].endswith("10.0.0.1/32    scram-sha-256") and lines[2].endswith("reject")
    assert all(line == line.rstrip() for line in lines)


# ---------------------------------------------------------------------------------------------------------------
# Refusals
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["trust", "password", "md5"])
def test_trust_password_and_md5_are_refused_saying_why(method):
    message = refused(entry(method=method), "method '%s' is refused: " % method, index=1)
    assert REFUSED_METHODS[method] in message


def test_md5_names_the_scram_promise():
    message = refused(entry(method="md5"), "method 'md5' is refused")
    assert "the collection promises scram-sha-256, not md5" in message


@pytest.mark.parametrize("method", ["ident", "ldap", "radius", "pam", "sspi", "bsd"])
def test_other_weak_or_foreign_methods_are_refused_saying_why(method):
    refused(entry(method=method), "method '%s' is refused: %s" % (method, REFUSED_METHODS[method]))


@pytest.mark.parametrize("method", ["SCRAM-SHA-256", "oauth", "scram", "", 5, ["peer"]])
def test_unknown_methods(method):
    refused(entry(method=method), "method" if method != "" else "method is missing")


@pytest.mark.parametrize("kind, method, match", [
    ("host", "peer", "method peer cannot be used with type host (only with local)"),
    ("hostssl", "peer", "method peer cannot be used with type hostssl"),
    ("host", "cert", "method cert cannot be used with type host (only with hostssl)"),
    ("hostnossl", "cert", "method cert cannot be used with type hostnossl"),
    ("local", "cert", "method cert cannot be used with type local"),
    ("local", "gss", "method gss cannot be used with type local"),
])
def test_methods_on_the_wrong_type(kind, method, match):
    fields = {"type": kind, "method": method}
    if kind == "local":
        fields["address"] = None
    refused(entry(**fields), match)


@pytest.mark.parametrize("kind", ["HOST", "hostssl ", "include", "host\nlocal", "", None, ["host"]])
def test_unknown_types(kind):
    refused(entry(type=kind), "type" if kind not in ("", None) else "type is missing")


@pytest.mark.parametrize("database, match", [
    ("crhq,", "has an empty name"),
    (",crhq", "has an empty name"),
    ("crhq,,app", "has an empty name"),
    ("@databases.txt", "@file includes are refused"),
    ("/^crhq.*$", "regular expressions are refused"),
    ("+crhq", "+group is for the user field"),
    ("crhq app", "is not a name pg_hba.conf can hold unquoted"),
    ("crhq\tapp", "is not a name"),
    ('"crhq"', "is not a name"),
    ("'crhq'", "is not a name"),
    ("crhq#x", "is not a name"),
    ("crhq\\", "is not a name"),
    ("crhq\nlocal all all trust", "is not a name"),
    ("crhq\r", "is not a name"),
    ("-crhq", "is not a name"),
    ("datenbank\u00e4", "is not a name"),
    ("a" * 64, "is not a name"),
    ("all,crhq", "'all' already matches everything"),
    ([], "must be a name, a comma-separated list of names or a list of names"),
    (["crhq", 5], "must be a name"),
    (7, "must be a name"),
    ({"name": "crhq"}, "must be a name"),
    (["crhq,"], "is not a name"),
    (",".join("d%d" % n for n in range(65)), "lists more than 64 names"),
])
def test_bad_database_fields(database, match):
    refused(entry(database=database), match)


@pytest.mark.parametrize("user, match", [
    ("sameuser", "is a keyword of the database field only"),
    ("samerole", "is a keyword of the database field only"),
    ("replication", "is a keyword of the database field only"),
    ("+", "is not a name"),
    ("++crhq", "is not a name"),
    ("@users", "@file includes are refused"),
    ("/^mon", "regular expressions are refused"),
    ("crhq,", "has an empty name"),
    ("mon itoring", "is not a name"),
    ("crhq\n", "is not a name"),
    ("all,crhq", "'all' already matches everything"),
])
def test_bad_user_fields(user, match):
    refused(entry(user=user), match)


@pytest.mark.parametrize("fields, match", [
    ({"address": None}, "address is required for type host"),
    ({"address": ""}, "address is required for type host"),
    ({"type": "hostssl", "address": None}, "address is required for type hostssl"),
    ({"address": "db.example.com"}, "host names are refused"),
    ({"address": "localhost"}, "host names are refused"),
    ({"address": "10.0.0.0/24 "}, "not an IPv4 or IPv6 address"),
    ({"address": "10.0.0.0 255.255.255.0"}, "not an IPv4 or IPv6 address"),
    ({"address": "10.0.0.0/24\nlocal all all trust"}, "not an IPv4 or IPv6 address"),
    ({"address": "10.0.0.0/33"}, "not an IPv4 or IPv6 address"),
    ({"address": "010.0.0.1"}, "not an IPv4 or IPv6 address"),
    ({"address": "10.0.0"}, "not an IPv4 or IPv6 address"),
    ({"address": "10.0.0.5/24"}, "has bits set after its prefix length; write the network, 10.0.0.0/24"),
    ({"address": "2001:db8::1/32"}, "write the network, 2001:db8::/32"),
    ({"address": "fe80::1%eth0"}, "has an IPv6 zone"),
    ({"address": "all"}, "is refused: name the network in CIDR form"),
    ({"address": "samehost"}, "is refused"),
    ({"address": "samenet"}, "is refused"),
    ({"address": 167772160}, "address must be a string"),
    ({"address": ["10.0.0.0/24"]}, "address must be a string"),
    ({"type": "local", "method": "peer"}, "is not allowed for type local"),
])
def test_bad_addresses(fields, match):
    refused(entry(**fields), match)


@pytest.mark.parametrize("options, match", [
    ("clientcert", "is not a name=value pair"),
    ("=verify-full", "is not a name=value pair"),
    ("clientcert=verify-full  map=x", "is not a name=value pair"),
    (" clientcert=verify-full", "is not a name=value pair"),
    ("clientcert=verify-full\nlocal", "has the value"),
    ("map=x\nlocal all all trust", "has the value"),
    ("map=x\tkrb_realm=y", "has the value"),
    ("map=\"x y\"", "has the value"),
    ("map=a,b", "has the value"),
    ("map=x#", "has the value"),
    ("map=", "has the value"),
    ("map=" + "x" * 129, "has the value"),
    ("ldapserver=ldap.example.com", "option 'ldapserver' is not one of clientcert, clientname, map"),
    ("pamservice=postgresql", "option 'pamservice' is not one of"),
    ("Map=x", "option 'Map' is not one of"),
    ("map=x map=y", "option map is given twice"),
    ("clientcert=1", "clientcert must be verify-ca or verify-full"),
    ("clientcert=no-verify", "clientcert must be verify-ca or verify-full"),
    ("clientname=cn", "clientname must be CN or DN"),
    ("include_realm=yes", "include_realm must be 0 or 1"),
    (["clientcert=verify-full"], "options must be a string"),
    ({"clientcert": "verify-full"}, "options must be a string"),
])
def test_bad_options(options, match):
    refused(entry(type="hostssl", options=options), match)


@pytest.mark.parametrize("kind", ["host", "hostnossl", "hostgssenc"])
def test_certificate_options_need_hostssl(kind):
    refused(entry(type=kind, options="clientcert=verify-full"), "option clientcert needs type hostssl")
    refused(entry(type=kind, options="clientname=DN"), "option clientname needs type hostssl")


def test_cert_needs_verify_full():
    refused(entry(type="hostssl", method="cert", options="clientcert=verify-ca"),
            "method cert always checks the certificate's name: clientcert must be verify-full")


@pytest.mark.parametrize("comment", ["two\nlines", "carriage\rreturn", "tab\there", "nul\x00", "x" * 201, "   ", 5,
                                     ["a comment"]])
def test_bad_comments(comment):
    refused(entry(comment=comment), "comment must be one line of 1 to 200 characters")


@pytest.mark.parametrize("bad, match", [
    ("host crhq crhq 10.0.0.0/24 scram-sha-256", "an entry must be a dict"),
    (None, "an entry must be a dict"),
    (["host", "crhq"], "an entry must be a dict"),
    (dict(entry(), port=5432), "unknown key(s) port (the keys are type, database, user, address, method, options, "
                               "comment)"),
    (dict(entry(), Type="host", users="x"), "unknown key(s) Type, users"),
    ({"type": "host", "address": "10.0.0.0/24"}, "database and user and method are missing"),
    (entry(user=None), "user is missing"),
    (entry(database=""), "database is missing"),
])
def test_malformed_entries(bad, match):
    refused(bad, match, index=2)


@pytest.mark.parametrize("entries", ["local all all peer", {"type": "local"}, 5, True])
def test_the_variable_must_be_a_list(entries):
    with pytest.raises(HbaEntryError, match=r"^postgresql_hba_extra_entries must be a list of entries, not "):
        render_lines(entries)


def test_the_variable_name_in_messages_can_be_changed():
    with pytest.raises(HbaEntryError, match=r"^my_entries\[0\]: method 'trust' is refused"):
        render_lines([entry(method="trust")], name="my_entries")


def test_the_first_bad_entry_is_named_and_nothing_is_rendered():
    with pytest.raises(HbaEntryError, match=r"^postgresql_hba_extra_entries\[1\]: method 'md5'"):
        render_lines([entry(), entry(method="md5"), entry(method="trust")])


@pytest.mark.parametrize("field", ["type", "database", "user", "address", "method", "options", "comment"])
def test_no_field_can_add_a_line(field):
    """A line break followed by a whole pg_hba line, in any field, is refused: one entry is one line (two with its
    comment), never a smuggled `trust` line."""
    injected = "x\nlocal all all trust"
    base = entry(type="hostssl", options="map=x", comment="c")
    base[field] = base[field] + injected if field != "address" else "10.0.0.0/24\nlocal all all trust"
    with pytest.raises(HbaEntryError):
        render_lines([base])
