#!/bin/sh
# The container's start path, also runnable outside a container (test/docker runs it natively):
# exec the kcl-ts launcher, so that it becomes PID 1 (or tini's child) and gets the stop signal itself.
# `kcl-ts run` validates the properties, verifies the jars, starts the MultiLangDaemon in its own process
# group and forwards SIGTERM/SIGINT/SIGHUP to it; it exits 0 after a stop it forwarded.
#
# Environment (defaults are the image's layout):
#   KCL_TS_HOME        the kcl-ts installation                     /opt/kcl-ts
#   KCL_TS_PROPERTIES  the daemon's .properties file                /app/app.properties
#   KCL_TS_JARS        folder of the verified daemon jars           $KCL_TS_HOME/jars
#   KCL_TS_LOG_CONFIG  logback.xml for the daemon's own logs        (unset: the daemon's INFO to stdout)
#   KCL_TS_JVM_OPTS    JVM options, split on spaces                 (unset: none)
# Arguments are appended to the JVM options (e.g. `docker run IMAGE -Xmx768m`).
set -eu

home="${KCL_TS_HOME:-/opt/kcl-ts}"
properties="${KCL_TS_PROPERTIES:-/app/app.properties}"
jars="${KCL_TS_JARS:-$home/jars}"

if [ ! -f "$properties" ]; then
  echo "entrypoint: no properties file at $properties (set KCL_TS_PROPERTIES, or COPY it to /app/app.properties)" >&2
  exit 64
fi

# JVM options: KCL_TS_JVM_OPTS (deliberately split on spaces), then the container's arguments.
# shellcheck disable=SC2086
set -- ${KCL_TS_JVM_OPTS:-} "$@"

if [ -n "${KCL_TS_LOG_CONFIG:-}" ]; then
  exec node "$home/bin/kcl-ts.js" run -p "$properties" --jars "$jars" --log-config "$KCL_TS_LOG_CONFIG" -- "$@"
fi
exec node "$home/bin/kcl-ts.js" run -p "$properties" --jars "$jars" -- "$@"
