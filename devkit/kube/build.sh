#!/usr/bin/env bash
# Build a real upstream kube-apiserver from the Go module proxy (no Docker, no git clone).
#
#   ./build.sh            -> ~/.cache/eventide/kube/<k8sVersion>/kube-apiserver
#   ./build.sh --etcd     -> also builds etcd (etcd-wrapper/, go.etcd.io/etcd/server/v3) into the same dir
#                            as etcd-<ver> plus an `etcd` symlink
#   ./build.sh --kubectl  -> also builds the matching kubectl (k8s.io/kubernetes/cmd/kubectl)
#   ./build.sh --controllers -> also builds kube-controller-manager and kube-scheduler (local mode's
#                            Deployments, ReplicaSets, StatefulSets and scheduling are Kubernetes' own)
#   ./build.sh --all      -> all of them
#
# Idempotent: does nothing if the binary already exists (delete it to force a rebuild).
# The k8s version is whatever wrapper/go.mod requires (see gen-wrapper.sh to change it).
# GOMODCACHE/GOCACHE stay at Go's defaults (~/go/pkg/mod, ~/.cache/go-build), outside the repo.
# Cold build on 2 cores: ~8.5 min for kube-apiserver, +40 s kubectl, +40 s etcd (see README).
# BUILD_JOBS (default 2) sets go build -p and GOMAXPROCS.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WRAPPER="$HERE/wrapper"
ETCD_WRAPPER="$HERE/etcd-wrapper"
JOBS="${BUILD_JOBS:-2}"
WANT_ETCD=0; WANT_KUBECTL=0; WANT_CONTROLLERS=0
for a in "$@"; do
  case "$a" in
    --etcd) WANT_ETCD=1 ;;
    --kubectl) WANT_KUBECTL=1 ;;
    --controllers) WANT_CONTROLLERS=1 ;;
    --all) WANT_ETCD=1; WANT_KUBECTL=1; WANT_CONTROLLERS=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | grep '^#'; exit 0 ;;
    *) echo "unknown argument: $a (use --etcd, --kubectl, --controllers, --all)" >&2; exit 2 ;;
  esac
done

log() { echo "[kube-build $(date +%H:%M:%S)] $*" >&2; }
die() { echo "[kube-build] ERROR: $*" >&2; exit 1; }

need_go() {
  command -v go >/dev/null 2>&1 || die "'go' not found in PATH (need Go >= the 'go' line in wrapper/go.mod; older Go fetches that toolchain itself via GOTOOLCHAIN=auto)"
}
K8S_VERSION="$(awk '$1=="require" && $2=="k8s.io/kubernetes" {print $3}' "$WRAPPER/go.mod")"
[ -n "$K8S_VERSION" ] || die "cannot read k8s.io/kubernetes version from $WRAPPER/go.mod"
OUT_DIR="${EVENTIDE_KUBE_DIR:-$HOME/.cache/eventide/kube/$K8S_VERSION}"
mkdir -p "$OUT_DIR"

export GOFLAGS="-mod=mod"
export CGO_ENABLED=0          # upstream release binaries are static too
export GOMAXPROCS="${GOMAXPROCS:-$JOBS}"

MAJ="${K8S_VERSION#v}"; MAJ="${MAJ%%.*}"
MIN="${K8S_VERSION#v*.}"; MIN="${MIN%%.*}"
PKG=k8s.io/component-base/version
# Without these -X flags the binary reports v0.0.0-master+$Format:%H$ (kubectl version
# skew warnings, odd /version); upstream's hack/lib/version.sh sets the same vars.
LDFLAGS="-s -w -X $PKG.gitVersion=$K8S_VERSION -X $PKG.gitMajor=$MAJ -X $PKG.gitMinor=$MIN \
-X $PKG.gitTreeState=clean -X $PKG.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ) \
-X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=$MAJ -X k8s.io/client-go/pkg/version.gitMinor=$MIN"

if [ -x "$OUT_DIR/kube-apiserver" ]; then
  log "kube-apiserver $K8S_VERSION already present: $OUT_DIR/kube-apiserver"
else
  need_go
  log "go $(go env GOVERSION); building kube-apiserver $K8S_VERSION (-p $JOBS) -> $OUT_DIR"
  log "step 1/2: downloading modules (go mod download)"
  (cd "$WRAPPER" && go mod download) || die "module download failed (is the Go module proxy reachable? GOPROXY=$(go env GOPROXY))"
  log "step 2/2: go build k8s.io/kubernetes/cmd/kube-apiserver (slow: ~2.5k packages)"
  start=$(date +%s)
  (cd "$WRAPPER" && go build -p "$JOBS" -trimpath -ldflags "$LDFLAGS" \
      -o "$OUT_DIR/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver) || die "go build failed"
  mv "$OUT_DIR/kube-apiserver.tmp" "$OUT_DIR/kube-apiserver"
  log "built in $(( $(date +%s) - start ))s: $(du -h "$OUT_DIR/kube-apiserver" | cut -f1) $OUT_DIR/kube-apiserver"
fi

# The other programs share most packages with kube-apiserver, so each takes a fraction of its time.
build_cmd() {
  local cmd=$1
  if [ -x "$OUT_DIR/$cmd" ]; then
    log "$cmd $K8S_VERSION already present: $OUT_DIR/$cmd"
    return
  fi
  need_go
  log "building $cmd $K8S_VERSION"
  local start
  start=$(date +%s)
  (cd "$WRAPPER" && go build -p "$JOBS" -trimpath -ldflags "$LDFLAGS" \
      -o "$OUT_DIR/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd") || die "$cmd build failed"
  mv "$OUT_DIR/$cmd.tmp" "$OUT_DIR/$cmd"
  log "built $cmd in $(( $(date +%s) - start ))s: $(du -h "$OUT_DIR/$cmd" | cut -f1) $OUT_DIR/$cmd"
}
[ "$WANT_KUBECTL" = 1 ] && build_cmd kubectl
if [ "$WANT_CONTROLLERS" = 1 ]; then
  build_cmd kube-controller-manager
  build_cmd kube-scheduler
fi

if [ "$WANT_ETCD" = 1 ]; then
  ETCD_VERSION="$(awk '$1=="require" && $2=="go.etcd.io/etcd/server/v3" {print $3}' "$ETCD_WRAPPER/go.mod")"
  if [ -x "$OUT_DIR/etcd-$ETCD_VERSION" ]; then
    log "etcd $ETCD_VERSION already present: $OUT_DIR/etcd-$ETCD_VERSION"
  else
    need_go
    log "building etcd $ETCD_VERSION (go build go.etcd.io/etcd/server/v3 in etcd-wrapper/)"
    start=$(date +%s)
    (cd "$ETCD_WRAPPER" && go mod download) || die "etcd module download failed"
    (cd "$ETCD_WRAPPER" && go build -p "$JOBS" -trimpath -ldflags "-s -w" \
        -o "$OUT_DIR/etcd-$ETCD_VERSION.tmp" go.etcd.io/etcd/server/v3) || die "etcd build failed"
    mv "$OUT_DIR/etcd-$ETCD_VERSION.tmp" "$OUT_DIR/etcd-$ETCD_VERSION"
    ln -sfn "etcd-$ETCD_VERSION" "$OUT_DIR/etcd"
    log "built etcd in $(( $(date +%s) - start ))s: $(du -h "$OUT_DIR/etcd-$ETCD_VERSION" | cut -f1) $OUT_DIR/etcd-$ETCD_VERSION"
  fi
fi
echo "$OUT_DIR"
