#!/usr/bin/env bash
# Install what yingji needs and is missing: Debian packages by name with
# apt-get, front-end and test packages from npm. Idempotent and quiet when
# everything is there.
#   scripts/install-deps.sh          build + run
#   scripts/install-deps.sh test     + test tools (chromium, mosquitto, playwright-core, poppler, GDAL's ogrinfo)
#   scripts/install-deps.sh bench    + benchmark peers (redis, PostGIS)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-run}

pkgs=(build-essential pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev sqlite3
      libgeos-dev libsodium-dev libmosquitto-dev libcmocka-dev libxlsxwriter-dev libzip-dev libxml2-dev libxml2-utils libcurl4-openssl-dev curl ca-certificates
      libcairo2-dev libpango1.0-dev fonts-noto-cjk)
case "$what" in
  test)  pkgs+=(chromium mosquitto mosquitto-clients poppler-utils gdal-bin python3-openpyxl) ;;
  bench) pkgs+=(chromium mosquitto mosquitto-clients redis-server redis-tools postgresql postgis postgresql-15-postgis-3 wrk libpq-dev libcurl4-openssl-dev libhiredis-dev) ;;
esac
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages (leaflet for the map; playwright-core drives Debian's chromium in tests).
# Never download a browser: playwright-core has no browser download step.
stamp=node_modules/.yingji-stamp
if [ ! -f "$stamp" ] || [ package.json -nt "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "install-deps: npm packages"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error >/dev/null
  else npm install --no-audit --no-fund --loglevel=error >/dev/null; fi
  touch "$stamp"
fi
