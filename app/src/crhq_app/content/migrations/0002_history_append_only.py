"""Document versions are immutable: the app's runtime database role may add and read rows of
content_historicaldocument, never change or remove them, and triggers refuse that to every role."""

from django.db import migrations

TABLE = "content_historicaldocument"

POSTGRESQL = [
    """
    DO $$
    DECLARE grantee_name text;
    BEGIN
      FOR grantee_name IN
        SELECT DISTINCT grantee FROM information_schema.role_table_grants
        WHERE table_schema = current_schema() AND table_name = '%(table)s'
          AND grantee NOT IN ('PUBLIC', current_user)
      LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %(table)s FROM %%I', grantee_name);
      END LOOP;
    END $$;
    """ % {"table": TABLE},
    "REVOKE UPDATE, DELETE, TRUNCATE ON %s FROM PUBLIC" % TABLE,
    """
    CREATE FUNCTION content_history_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'document versions are immutable: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
    "CREATE TRIGGER content_history_no_change BEFORE UPDATE OR DELETE ON %s "
    "FOR EACH ROW EXECUTE FUNCTION content_history_immutable()" % TABLE,
    "CREATE TRIGGER content_history_no_truncate BEFORE TRUNCATE ON %s "
    "FOR EACH STATEMENT EXECUTE FUNCTION content_history_immutable()" % TABLE,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER content_history_no_truncate ON %s" % TABLE,
    "DROP TRIGGER content_history_no_change ON %s" % TABLE,
    "DROP FUNCTION content_history_immutable()",
]
SQLITE = [
    "CREATE TRIGGER content_history_no_update BEFORE UPDATE ON %s "
    "BEGIN SELECT RAISE(ABORT, 'document versions are immutable: UPDATE refused'); END" % TABLE,
    "CREATE TRIGGER content_history_no_delete BEFORE DELETE ON %s "
    "BEGIN SELECT RAISE(ABORT, 'document versions are immutable: DELETE refused'); END" % TABLE,
]
SQLITE_REVERSE = ["DROP TRIGGER content_history_no_update", "DROP TRIGGER content_history_no_delete"]


def _run(statements):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)  # no placeholders: "%" is PL/pgSQL's
    return run


class Migration(migrations.Migration):
    dependencies = [("content", "0001_initial")]

    operations = [
        migrations.RunPython(_run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
                             _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE})),
    ]
