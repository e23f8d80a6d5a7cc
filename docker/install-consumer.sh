#!/bin/sh
# Installs a consumer project for the image (the Dockerfile's consumer-build stage; also runnable natively):
#   - package.json present: `npm ci` (a lock file is required: reproducible builds), link kcl-ts,
#     `npm run build` when the project defines it, `npm prune --omit=dev`;
#   - node_modules/kcl-ts always ends up a symlink to $KCL_TS_HOME, replacing whatever npm installed, so
#     the library the shard children import is the launcher's own build;
#   - app.properties must exist and pass `kcl-ts validate` (errors fail the build).
# Usage: install-consumer.sh [APP_DIR]   (default /app; KCL_TS_HOME defaults to /opt/kcl-ts)
set -eu

app="${1:-/app}"
home="${KCL_TS_HOME:-/opt/kcl-ts}"
cd "$app"

link_kcl_ts() {
  mkdir -p node_modules
  rm -rf node_modules/kcl-ts
  ln -s "$home" node_modules/kcl-ts
}

if [ -f package.json ]; then
  if [ ! -f package-lock.json ] && [ ! -f npm-shrinkwrap.json ]; then
    echo "install-consumer: $app/package.json has no package-lock.json; commit one (npm install --package-lock-only)" >&2
    exit 65
  fi
  npm ci --no-audit --no-fund
  link_kcl_ts
  npm run build --if-present
  npm prune --omit=dev --no-audit --no-fund
fi
link_kcl_ts

if [ ! -f app.properties ]; then
  echo "install-consumer: $app/app.properties is missing: the daemon's properties file (executableName = node /app/<entry>)" >&2
  exit 66
fi
node "$home/bin/kcl-ts.js" validate -p app.properties
