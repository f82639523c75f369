#!/bin/sh
# Runs once, when the PostgreSQL data directory is first initialised (official image's
# /docker-entrypoint-initdb.d): one database per PostgreSQL service, owned by POSTGRES_USER.
set -eu
for db in ${FITSHOP_DATABASES}; do
  echo "creating database ${db}"
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER}" --dbname postgres \
    -c "CREATE DATABASE \"${db}\" OWNER \"${POSTGRES_USER}\""
done
