"""The audit log is append-only: the app's runtime database role keeps INSERT and SELECT on it and loses
UPDATE, DELETE and TRUNCATE, and triggers refuse those statements to every role, the owner included."""

from django.db import migrations

POSTGRESQL = [
    # every role the owner granted privileges to (the runtime role, by default privileges), PUBLIC apart
    """
    DO $$
    DECLARE grantee_name text;
    BEGIN
      FOR grantee_name IN
        SELECT DISTINCT grantee FROM information_schema.role_table_grants
        WHERE table_schema = current_schema() AND table_name = 'vault_auditevent'
          AND grantee NOT IN ('PUBLIC', current_user)
      LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON vault_auditevent FROM %I', grantee_name);
      END LOOP;
    END $$;
    """,
    "REVOKE UPDATE, DELETE, TRUNCATE ON vault_auditevent FROM PUBLIC",
    """
    CREATE FUNCTION vault_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
    "CREATE TRIGGER vault_audit_no_change BEFORE UPDATE OR DELETE ON vault_auditevent "
    "FOR EACH ROW EXECUTE FUNCTION vault_audit_append_only()",
    "CREATE TRIGGER vault_audit_no_truncate BEFORE TRUNCATE ON vault_auditevent "
    "FOR EACH STATEMENT EXECUTE FUNCTION vault_audit_append_only()",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER vault_audit_no_truncate ON vault_auditevent",
    "DROP TRIGGER vault_audit_no_change ON vault_auditevent",
    "DROP FUNCTION vault_audit_append_only()",
]
SQLITE = [  # the app's tests: the same refusal, by triggers
    "CREATE TRIGGER vault_audit_no_update BEFORE UPDATE ON vault_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE refused'); END",
    "CREATE TRIGGER vault_audit_no_delete BEFORE DELETE ON vault_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused'); END",
]
SQLITE_REVERSE = ["DROP TRIGGER vault_audit_no_update", "DROP TRIGGER vault_audit_no_delete"]


def _run(statements):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)  # no placeholders: "%" is PL/pgSQL's
    return run


class Migration(migrations.Migration):
    dependencies = [("vault", "0001_initial")]

    operations = [
        migrations.RunPython(_run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
                             _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE})),
    ]
