"""Insert-only tables: the app's runtime database role may add and read their rows, never change or remove them.

`insert_only(table, message)` is the migration operation that makes a table so: on PostgreSQL it revokes UPDATE,
DELETE and TRUNCATE from every role the owner granted the table to (the runtime role gets its privileges through
the owner's default privileges) and from PUBLIC, and adds triggers that refuse those statements to every role,
the owner included; on SQLite (the app's tests) the same refusal by triggers. The collection's postgresql role
knows these tables too (postgresql_insert_only_tables) and never grants the privileges back.
"""

from django.db import migrations


def _postgresql(table, message):
    function = "%s_insert_only" % table
    return [
        # every role the owner granted privileges to, PUBLIC apart; format() quotes the role's name
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
        """ % {"table": table},
        "REVOKE UPDATE, DELETE, TRUNCATE ON %s FROM PUBLIC" % table,
        """
        CREATE FUNCTION %(function)s() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION '%(message)s: %% refused', TG_OP USING ERRCODE = 'insufficient_privilege';
        END $$
        """ % {"function": function, "message": message},
        "CREATE TRIGGER %s_no_change BEFORE UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION %s()"
        % (table, table, function),
        "CREATE TRIGGER %s_no_truncate BEFORE TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION %s()"
        % (table, table, function),
    ], [
        "DROP TRIGGER %s_no_truncate ON %s" % (table, table),
        "DROP TRIGGER %s_no_change ON %s" % (table, table),
        "DROP FUNCTION %s()" % function,
    ]


def _sqlite(table, message):
    return [
        "CREATE TRIGGER %s_no_update BEFORE UPDATE ON %s BEGIN SELECT RAISE(ABORT, '%s: UPDATE refused'); END"
        % (table, table, message),
        "CREATE TRIGGER %s_no_delete BEFORE DELETE ON %s BEGIN SELECT RAISE(ABORT, '%s: DELETE refused'); END"
        % (table, table, message),
    ], ["DROP TRIGGER %s_no_update" % table, "DROP TRIGGER %s_no_delete" % table]


def _run(statements):
    def run(apps, schema_editor):  # pylint: disable=unused-argument
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)  # no placeholders: "%" is PL/pgSQL's
    return run


def insert_only(table, message):
    """The migration operation that makes `table` insert-only; `message` starts the refusal's error."""
    postgresql, postgresql_reverse = _postgresql(table, message)
    sqlite, sqlite_reverse = _sqlite(table, message)
    return migrations.RunPython(_run({"postgresql": postgresql, "sqlite": sqlite}),
                                _run({"postgresql": postgresql_reverse, "sqlite": sqlite_reverse}))
