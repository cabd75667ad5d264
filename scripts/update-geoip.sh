#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Replace the embedded GeoIP snapshot with the latest published
# geo-whois-asn-country ranges (npm package @ip-location-db/geo-whois-asn-country),
# then check that it imports. Update the version and date in
# data/GEOIP-ATTRIBUTION.md afterwards.
set -eu

cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent @ip-location-db/geo-whois-asn-country >/dev/null)
tar -xzf "$work"/*.tgz -C "$work"
cat "$work/package/geo-whois-asn-country-ipv4.csv" \
    "$work/package/geo-whois-asn-country-ipv6.csv" | gzip -9n > "$work/new.csv.gz"
printf '[geoip]\nfile = %s\n' "$work/new.csv.gz" > "$work/check.ini"
build/egress-audit -c "$work/check.ini" classify 1.1.1.1 2001:4860::1 >/dev/null
mv "$work/new.csv.gz" data/geo-whois-asn-country.csv.gz
echo "updated to $(sed -n 's/.*"version": "\(.*\)".*/\1/p' "$work/package/package.json")"
