#!/bin/bash
# Runs once, inside the influxdb:2.x container, right after DOCKER_INFLUXDB_INIT_MODE=setup created
# the org, bucket and admin token (the image runs /docker-entrypoint-initdb.d/*.sh then).
# Maps the v1 database `gridpulse` (retention policy `autogen`) to the bucket, so InfluxQL through
# /query — Grafana's datasource — finds the data. 2.7 also has a virtual mapping of the same name;
# an explicit one keeps working when the bucket is renamed or on versions without virtual mappings.
set -euo pipefail
influx v1 dbrp create \
  --org "${DOCKER_INFLUXDB_INIT_ORG}" \
  --bucket-id "${DOCKER_INFLUXDB_INIT_BUCKET_ID}" \
  --db "${DOCKER_INFLUXDB_INIT_BUCKET}" \
  --rp autogen \
  --default
