#!/usr/bin/env bash
# Build the real KEDA (its operator and its metrics API server) from the Go module proxy, as
# devkit/jaeger/build.sh builds Jaeger. Only bench/scaling-reaction needs it.
#
#   ./build.sh   -> ~/.cache/eventide/keda/<version>/{keda,keda-adapter}   (EVENTIDE_KEDA_DIR overrides)
#
# The version is what wrapper/go.mod requires (go get -tool .../cmd/operator@<v> .../cmd/adapter@<v>).
# v2.21.0, not v2.21.1: v2.21.1's go.mod asks for go >= 1.27.4, newer than any toolchain the
# module proxy approves here; v2.21.0 builds with the machine's go 1.26.
# Idempotent: does nothing if both binaries exist. The CRDs come from the same module (crds/).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WRAPPER="$HERE/wrapper"
MODULE=github.com/kedacore/keda/v2
log() { echo "[keda-build $(date +%H:%M:%S)] $*" >&2; }
die() { echo "[keda-build] ERROR: $*" >&2; exit 1; }

VERSION="$(awk -v m="$MODULE" '$1==m {print $2; exit}' "$WRAPPER/go.mod")"
[ -n "$VERSION" ] || die "cannot read the $MODULE version from $WRAPPER/go.mod"
OUT_DIR="${EVENTIDE_KEDA_DIR:-$HOME/.cache/eventide/keda/$VERSION}"
mkdir -p "$OUT_DIR"
if [ -x "$OUT_DIR/keda" ] && [ -x "$OUT_DIR/keda-adapter" ] && [ -d "$OUT_DIR/crds" ]; then
  log "keda $VERSION already present: $OUT_DIR"
  exit 0
fi
command -v go >/dev/null 2>&1 || die "'go' not found in PATH (the machine image has it under /usr/local/go/bin)"

export GOFLAGS="-mod=mod" CGO_ENABLED=0
export GOMAXPROCS="${GOMAXPROCS:-${BUILD_JOBS:-2}}"
log "go $(go env GOVERSION); building keda $VERSION -> $OUT_DIR"
(cd "$WRAPPER" && go mod download) || die "module download failed (is the Go module proxy reachable? GOPROXY=$(go env GOPROXY))"
start=$(date +%s)
LDFLAGS="-s -w -X $MODULE/version.Version=$VERSION"
build() { # <package> <binary>
  log "go build $MODULE/$1"
  (cd "$WRAPPER" && go build -p "$GOMAXPROCS" -trimpath -ldflags "$LDFLAGS" \
      -o "$OUT_DIR/$2.tmp" "$MODULE/$1") || die "go build $1 failed"
  mv "$OUT_DIR/$2.tmp" "$OUT_DIR/$2"
}
build cmd/operator keda
build cmd/adapter keda-adapter
SRC="$(cd "$WRAPPER" && go list -m -f '{{.Dir}}' "$MODULE")"
rm -rf "$OUT_DIR/crds" && cp -r "$SRC/config/crd/bases" "$OUT_DIR/crds" && chmod -R u+w "$OUT_DIR/crds"
log "built in $(( $(date +%s) - start ))s: $OUT_DIR"
