#!/usr/bin/env bash
# The package as a user gets it: pack the repo (prepack builds), install the tarball into an empty project
# offline (the package has no runtime dependencies; its heavy ones are optional peers), typecheck a strict
# consumer under moduleResolution NodeNext, bundler and node10, run it, and run `npx tleg --help`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tsc="$repo/node_modules/typescript/bin/tsc"

cd "$repo"
tarball="$work/$(npm pack --silent --pack-destination "$work" | tail -n 1)"
packed=$(stat -c %s "$tarball")
echo "pack-test: $(basename "$tarball"), $packed bytes packed"
[ "$packed" -le 1048576 ] || { echo "pack-test: the tarball is over 1 MB" >&2; exit 1; }
unexpected=$(tar tzf "$tarball" | grep -Ev '^package/(package\.json|README\.md|LICENSE|dist/(engine|model|tleg)/.*\.(js|d\.ts))$' || true)
[ -z "$unexpected" ] || { echo "pack-test: unexpected files in the tarball:"$'\n'"$unexpected" >&2; exit 1; }

mkdir -p "$work/consumer"
cd "$work/consumer"
echo '{ "name": "consumer", "private": true, "type": "module" }' > package.json
npm install --offline --no-audit --no-fund --ignore-scripts "$tarball" >/dev/null
cp "$repo/.ci/consumer/main.ts" .
for resolution in NodeNext bundler node10; do
  case $resolution in NodeNext) module=NodeNext ;; bundler) module=ESNext ;; node10) module=ES2022 ;; esac
  cat > "tsconfig.$resolution.json" <<JSON
{ "compilerOptions": { "strict": true, "target": "ES2022", "lib": ["ES2022"], "module": "$module", "moduleResolution": "$resolution",
  "typeRoots": ["$repo/node_modules/@types"], "types": ["node"], "skipLibCheck": false, "outDir": "out-$resolution" }, "files": ["main.ts"] }
JSON
  node "$tsc" -p "tsconfig.$resolution.json" --noEmit || { echo "pack-test: the consumer fails tsc with moduleResolution $resolution" >&2; exit 1; }
  echo "pack-test: tsc strict, moduleResolution $resolution: ok"
done
node "$tsc" -p tsconfig.NodeNext.json
node out-NodeNext/main.js
help=$(npx --offline --no-install tleg --help)
grep -q '^Usage: tleg' <<<"$help" || { echo "pack-test: npx tleg --help printed: $help" >&2; exit 1; }
echo "pack-test: npx tleg --help: ok"
size=$(du -sk node_modules | cut -f1)
echo "pack-test: installed size ${size} kB"
