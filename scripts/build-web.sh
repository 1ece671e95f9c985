#!/usr/bin/env bash
# Copy front-end packages installed by npm into web/vendor (served locally: no CDN).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p web/vendor
if [ -d node_modules/leaflet/dist ]; then
  mkdir -p web/vendor/leaflet
  cp -ru node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css web/vendor/leaflet/
  cp -ru node_modules/leaflet/dist/images web/vendor/leaflet/ 2>/dev/null || true
fi
