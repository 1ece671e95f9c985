#!/usr/bin/env bash
# Copy front-end packages installed by npm into web/vendor (served locally: no CDN).
#   leaflet 1.9                -> web/vendor/leaflet/
#   leaflet.markercluster 1.5  -> web/vendor/leaflet.markercluster/
#   swagger-ui-dist 5          -> web/vendor/swagger-ui-dist/ (api.html: the OpenAPI document)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p web/vendor

if [ -d node_modules/leaflet/dist ]; then
  mkdir -p web/vendor/leaflet
  cp -u node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css web/vendor/leaflet/
  cp -ru node_modules/leaflet/dist/images web/vendor/leaflet/ 2>/dev/null || true
else
  echo "build-web: node_modules/leaflet missing (run: npm ci)" >&2
fi

mc=node_modules/leaflet.markercluster/dist
if [ -d "$mc" ]; then
  mkdir -p web/vendor/leaflet.markercluster
  cp -u "$mc/leaflet.markercluster.js" "$mc/MarkerCluster.css" "$mc/MarkerCluster.Default.css" \
    web/vendor/leaflet.markercluster/
else
  echo "build-web: node_modules/leaflet.markercluster missing (run: npm ci)" >&2
fi

sw=node_modules/swagger-ui-dist
if [ -d "$sw" ]; then
  mkdir -p web/vendor/swagger-ui-dist
  cp -u "$sw/swagger-ui-bundle.js" "$sw/swagger-ui.css" "$sw/LICENSE" "$sw/NOTICE" web/vendor/swagger-ui-dist/
else
  echo "build-web: node_modules/swagger-ui-dist missing (run: npm ci)" >&2
fi

# the pages name the vendor files with their version (?v=…), so browsers may keep them a year:
# keep those versions in step with what npm installed
for pkg in leaflet leaflet.markercluster swagger-ui-dist; do
  [ -f "node_modules/$pkg/package.json" ] || continue
  ver=$(node -p "require('./node_modules/$pkg/package.json').version")
  for page in web/*.html; do
    grep -q "/vendor/$pkg/" "$page" || continue
    sed -i -E "s#(/vendor/$pkg/[^\"?]+)(\?v=[^\"]*)?\"#\1?v=$ver\"#g" "$page"
  done
done
