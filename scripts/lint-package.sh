#!/usr/bin/env bash
# Checks the shape a package will have once published (publishConfig applied by `pnpm pack`).
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pnpm pack --pack-destination "$tmp" >/dev/null
tgz=$(ls "$tmp"/*.tgz)
npx --no-install publint run "$tgz" --strict
npx --no-install attw "$tgz" --profile node16 ${ATTW_FLAGS:-}
