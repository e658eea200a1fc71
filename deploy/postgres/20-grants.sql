-- What the application role may do in the application's database: rows, never schema.
-- Run connected to that database as a superuser or as disclosure_owner, after the roles
-- exist (10-roles.sh). The postgres image runs it once at initialisation; it is safe to
-- run again (e.g. after moving an older installation to these roles). The test
-- tests/integration/test_database_roles.py applies this same file.

DO $$
BEGIN
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO disclosure_app',
                   current_database());
END
$$;

REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO disclosure_app;

-- every table and sequence the owner creates from now on (that is, every migration) ...
ALTER DEFAULT PRIVILEGES FOR ROLE disclosure_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO disclosure_app;
ALTER DEFAULT PRIVILEGES FOR ROLE disclosure_owner IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO disclosure_app;

-- ... and those that exist already
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO disclosure_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO disclosure_app;
