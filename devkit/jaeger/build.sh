#!/usr/bin/env bash
# Build the real Jaeger (v2, cmd/jaeger: an OpenTelemetry Collector distribution with Jaeger's
# storage and query) from the Go module proxy, as devkit/kube/build.sh builds kube-apiserver.
#
#   ./build.sh   -> ~/.cache/eventide/jaeger/<version>/jaeger   (EVENTIDE_JAEGER_DIR overrides)
#
# The version is what wrapper/go.mod requires (go get -tool github.com/jaegertracing/jaeger/cmd/jaeger@<v>).
# Idempotent: does nothing if the binary exists. Cold build on 2 cores: ~5 min (~35 s of downloads).
# The module carries no UI assets (the UI is a separate npm build): the query API answers, the
# page at / is Jaeger's placeholder. The kind profile runs the released image, UI included.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WRAPPER="$HERE/wrapper"
log() { echo "[jaeger-build $(date +%H:%M:%S)] $*" >&2; }
die() { echo "[jaeger-build] ERROR: $*" >&2; exit 1; }

VERSION="$(awk '$1=="github.com/jaegertracing/jaeger" {print $2; exit}' "$WRAPPER/go.mod")"
[ -n "$VERSION" ] || die "cannot read the github.com/jaegertracing/jaeger version from $WRAPPER/go.mod"
OUT_DIR="${EVENTIDE_JAEGER_DIR:-$HOME/.cache/eventide/jaeger/$VERSION}"
mkdir -p "$OUT_DIR"
if [ -x "$OUT_DIR/jaeger" ]; then
  log "jaeger $VERSION already present: $OUT_DIR/jaeger"
  exit 0
fi
command -v go >/dev/null 2>&1 || die "'go' not found in PATH (the machine image has it under /usr/local/go/bin)"

export GOFLAGS="-mod=mod" CGO_ENABLED=0
export GOMAXPROCS="${GOMAXPROCS:-${BUILD_JOBS:-2}}"
log "go $(go env GOVERSION); building jaeger $VERSION -> $OUT_DIR"
(cd "$WRAPPER" && go mod download) || die "module download failed (is the Go module proxy reachable? GOPROXY=$(go env GOPROXY))"
start=$(date +%s)
(cd "$WRAPPER" && go build -p "$GOMAXPROCS" -trimpath \
    -ldflags "-s -w -X github.com/jaegertracing/jaeger/internal/version.latestVersion=$VERSION" \
    -o "$OUT_DIR/jaeger.tmp" github.com/jaegertracing/jaeger/cmd/jaeger) || die "go build failed"
mv "$OUT_DIR/jaeger.tmp" "$OUT_DIR/jaeger"
log "built in $(( $(date +%s) - start ))s: $OUT_DIR/jaeger"
