#!/bin/sh
# Runs once, when the postgres container initialises an empty data directory (it is in
# /docker-entrypoint-initdb.d, before 20-grants.sql), as the image's superuser, after the
# image created the database $POSTGRES_DB. Two roles:
#   disclosure_owner  owns the database, its schema and every table; migrations run as it
#                     (the `migrate` service). It alone could disable the audit trigger.
#   disclosure_app    what web, worker and beat connect as: rows only (SELECT, INSERT,
#                     UPDATE, DELETE; sequences), no DDL, owns nothing, so it can neither
#                     ALTER the audit table nor DISABLE its append-only trigger.
set -eu
: "${POSTGRES_DB:?}" "${DB_OWNER_PASSWORD:?set DB_OWNER_PASSWORD}"
: "${DB_APP_PASSWORD:?set DB_APP_PASSWORD}"
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
     -v owner_pw="$DB_OWNER_PASSWORD" -v app_pw="$DB_APP_PASSWORD" -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE disclosure_owner LOGIN PASSWORD :'owner_pw';
CREATE ROLE disclosure_app LOGIN PASSWORD :'app_pw'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER DATABASE :"db" OWNER TO disclosure_owner;
SQL
# The schema too (on PostgreSQL 15 it belongs to pg_database_owner; older ones, postgres).
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" \
     --dbname "$POSTGRES_DB" -c "ALTER SCHEMA public OWNER TO disclosure_owner;"
