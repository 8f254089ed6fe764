-- Minqing's database roles (run once, as a superuser:  sudo -u postgres psql -f deploy/roles.sql).
--
-- minqing_owner owns the schema and runs the migrations (MIGRATION_DATABASE_URL); it may bypass
-- row-level security, because migrations are platform-wide work.
-- minqing_app is what the web processes and workers connect as (DATABASE_URL): it owns nothing,
-- is no superuser and cannot bypass row-level security, so PostgreSQL itself refuses another
-- township's rows even to raw SQL (app/tenancy.py, layer 3). `minqing migrate` grants it the rows
-- of every table after each upgrade; the default privileges below cover tables made later too.
-- Set the passwords afterwards:  \password minqing_owner  and  \password minqing_app

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'minqing_owner') THEN
    CREATE ROLE minqing_owner LOGIN NOSUPERUSER BYPASSRLS NOCREATEROLE NOCREATEDB;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'minqing_app') THEN
    CREATE ROLE minqing_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB;
  END IF;
END $$;

SELECT 'CREATE DATABASE minqing OWNER minqing_owner'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'minqing') \gexec

\connect minqing
ALTER SCHEMA public OWNER TO minqing_owner;
GRANT CONNECT ON DATABASE minqing TO minqing_app;
GRANT USAGE ON SCHEMA public TO minqing_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO minqing_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO minqing_app;
ALTER DEFAULT PRIVILEGES FOR ROLE minqing_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO minqing_app;
ALTER DEFAULT PRIVILEGES FOR ROLE minqing_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO minqing_app;
