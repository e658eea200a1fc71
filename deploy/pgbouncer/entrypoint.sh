#!/bin/sh
# Writes PgBouncer's configuration and user list from the environment into $RUN_DIR (not a
# volume: the password stays in the container), then runs PgBouncer in the foreground.
set -eu
: "${DB_APP_PASSWORD:?set DB_APP_PASSWORD}"
RUN_DIR=${RUN_DIR:-/tmp/pgbouncer}
TEMPLATE=${TEMPLATE:-/etc/pgbouncer/pgbouncer.ini.in}
DB_USER=${DB_USER:-disclosure_app}
mkdir -p "$RUN_DIR"
umask 077
sed -e "s|@DB_NAME@|${DB_NAME:-disclosure}|g" \
    -e "s|@DB_HOST@|${DB_HOST:-postgres}|g" \
    -e "s|@DB_PORT@|${DB_PORT:-5432}|g" \
    -e "s|@LISTEN_ADDR@|${LISTEN_ADDR:-0.0.0.0}|g" \
    -e "s|@LISTEN_PORT@|${LISTEN_PORT:-6432}|g" \
    -e "s|@RUN_DIR@|$RUN_DIR|g" \
    -e "s|@POOL_SIZE@|${POOL_SIZE:-20}|g" \
    -e "s|@RESERVE_POOL_SIZE@|${RESERVE_POOL_SIZE:-5}|g" \
    -e "s|@MAX_CLIENT_CONN@|${MAX_CLIENT_CONN:-500}|g" \
    "$TEMPLATE" > "$RUN_DIR/pgbouncer.ini"
# the user list's format: both fields in double quotes, a quote inside doubled
quote() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }
printf '%s %s\n' "$(quote "$DB_USER")" "$(quote "$DB_APP_PASSWORD")" > "$RUN_DIR/userlist.txt"
exec pgbouncer "$RUN_DIR/pgbouncer.ini"
