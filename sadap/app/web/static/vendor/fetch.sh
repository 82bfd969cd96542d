#!/usr/bin/env bash
# Re-fetch the vendored front-end files from the npm registry (run from this folder).
# Versions are pinned here and listed in README.md; bump both together.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent htmx.org@2.0.11 echarts@6.1.0 @fontsource/noto-sans-thai@5.3.0 >/dev/null
for t in *.tgz; do mkdir "${t%.tgz}" && tar -xzf "$t" -C "${t%.tgz}"; done
cp htmx.org-2.0.11/package/dist/htmx.min.js "$here/htmx.min.js"
cp htmx.org-2.0.11/package/LICENSE "$here/htmx.LICENSE"
cp echarts-6.1.0/package/dist/echarts.common.min.js "$here/echarts.common.min.js"
cp echarts-6.1.0/package/LICENSE "$here/echarts.LICENSE"
cp echarts-6.1.0/package/NOTICE "$here/echarts.NOTICE"
mkdir -p "$here/fonts"
for sub in thai latin; do
  for w in 400 700; do
    cp "fontsource-noto-sans-thai-5.3.0/package/files/noto-sans-thai-$sub-$w-normal.woff2" "$here/fonts/"
  done
done
cp fontsource-noto-sans-thai-5.3.0/package/LICENSE "$here/fonts/OFL.LICENSE"
