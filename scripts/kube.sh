#!/usr/bin/env bash
# Start, stop or describe a local Kubernetes control plane for tests: etcd, kube-apiserver and
# kube-controller-manager on 127.0.0.1 (no kubelet and no scheduler, so pods stay Pending while
# Deployments, ReplicaSets, owner references and garbage collection behave as in a cluster).
#
#   scripts/kube.sh up      build what is missing (once), start what is not running, print env
#   scripts/kube.sh down    stop everything and delete the throw-away data
#   scripts/kube.sh env     print KUBECONFIG=... and HELM=... of the running control plane, or fail
#   scripts/kube.sh build   only build and cache the binaries (apiserver, controller-manager, helm)
#   scripts/kube.sh helm    only build and cache helm, print its path
#
# ALPHA_PANDA_KUBE_VERSION picks the Kubernetes version:
#   1.20.2  (default, what CI runs) binaries from Debian bookworm's kubernetes source package,
#           built with Debian's Go 1.19 and with Debian's newer reflect2/json-iterator swapped
#           into its vendor tree (the vendored copies crash the apiserver on custom resources
#           under Go >= 1.18); etcd is Debian's etcd-server
#   1.34.4  a current API server: kube-apiserver, kube-controller-manager and etcd 3.6.5 as
#           `scripts/cluster.sh build` builds them from their Go modules for the kind node (about
#           95 minutes of Go builds, too long for CI); this script uses them, never builds them
# helm is built from its Go module with the machine's Go. Everything built is cached under
# $ALPHA_PANDA_CACHE, so a second start takes seconds. Each version has its own run directory,
# so both control planes can run side by side.
set -euo pipefail

CACHE=${ALPHA_PANDA_CACHE:-$HOME/.cache/alpha-panda}
DEFAULT_KUBE_VERSION=1.20.2
REQUESTED_VERSION=${ALPHA_PANDA_KUBE_VERSION:-$DEFAULT_KUBE_VERSION}
RUN=${ALPHA_PANDA_KUBE_RUN:-/tmp/alpha-panda-kube}
[[ $REQUESTED_VERSION == "$DEFAULT_KUBE_VERSION" ]] || RUN=$RUN-$REQUESTED_VERSION
KUBE_PACKAGE_VERSION=1.20.5+really1.20.2
KUBE_VERSION=v$REQUESTED_VERSION
HELM_VERSION=v3.16.4
KUBE_DIR=$CACHE/kubernetes-$KUBE_VERSION
case $REQUESTED_VERSION in
  1.20.2) ETCD_BIN=etcd ;;
  1.34.4) ETCD_BIN=$CACHE/etcd-v3.6.5/etcd ;;   # the etcd kubeadm 1.34 deploys
  *) echo "kube: ALPHA_PANDA_KUBE_VERSION must be 1.20.2 or 1.34.4, not '$REQUESTED_VERSION'" >&2
     exit 2 ;;
esac
HELM_BIN=$CACHE/helm-$HELM_VERSION/helm
ENV_FILE=$RUN/env
# etcd syncs every write; memory-backed storage keeps a test control plane fast
ETCD_DIR=$RUN/etcd
[[ -w /dev/shm ]] && ETCD_DIR=/dev/shm/$(basename "$RUN")-etcd

die() { echo "kube: $*" >&2; exit 1; }
log() { echo "kube: $*" >&2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

apt_install() { # packages...
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  command -v apt-get >/dev/null || die "install the Debian packages ${missing[*]} by hand"
  log "installing ${missing[*]} from apt"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } \
    >/dev/null || die "apt-get install ${missing[*]} failed"
}

ensure_source_index() { # apt-get source needs a deb-src entry for bookworm
  if ! apt-cache showsrc kubernetes 2>/dev/null | grep -q "^Version: $KUBE_PACKAGE_VERSION-"; then
    log "adding a deb-src entry for Debian bookworm"
    cat >/etc/apt/sources.list.d/alpha-panda-src.sources <<'SOURCES'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
    apt-get update -qq >/dev/null || die "apt-get update failed"
  fi
}

generate_openapi() { # work directory; run in the GOPATH source tree
  # The source package omits the generated OpenAPI definitions that `make` would write; list
  # the packages tagged for them as Makefile.generated_files does and run the generator.
  local packages
  go build -o "$1/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen >"$1/build.log" 2>&1 \
    || return 1
  packages=$(find -L pkg vendor -type f -name '*.go' -not -path '*/testdata/*' \
      -not -path 'vendor/k8s.io/code-generator/*' -not -path 'vendor/k8s.io/sample-apiserver/*' \
      -print0 | xargs -0 grep -l '^// *+k8s:openapi-gen=' | xargs -n1 dirname | LC_ALL=C sort -u \
      | sed 's|^|k8s.io/kubernetes/|' | paste -sd,)
  "$1/openapi-gen" --logtostderr -i "$packages" -p k8s.io/kubernetes/pkg/generated/openapi \
    -O zz_generated.openapi -h vendor/k8s.io/code-generator/hack/boilerplate.go.txt \
    -r "$1/openapi-violations.report" >>"$1/build.log" 2>&1 || return 1
}

build_kubernetes() {
  [[ -x $KUBE_DIR/bin/kube-apiserver && -x $KUBE_DIR/bin/kube-controller-manager ]] && return
  apt_install golang-go golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev dpkg-dev
  ensure_source_index
  local work=$KUBE_DIR/work go=/usr/lib/go-1.19/bin
  [[ -x $go/go ]] || die "Debian's Go 1.19 is missing at $go (package golang-1.19-go)"
  rm -rf "$work" && mkdir -p "$work/gopath/src/k8s.io"
  log "fetching the kubernetes $KUBE_PACKAGE_VERSION source package into $work"
  (cd "$work" && apt-get source -qq kubernetes >source.log 2>&1) \
    || { tail -n 20 "$work/source.log" >&2; die "apt-get source kubernetes failed"; }
  local src p
  src=$(find "$work" -maxdepth 1 -type d -name 'kubernetes-*' | head -n 1)
  for p in github.com/modern-go/reflect2 github.com/json-iterator/go; do
    rm -rf "$src/vendor/$p" && cp -r "/usr/share/gocode/src/$p" "$src/vendor/$p"
    find "$src/vendor/$p" \( -name '*_test.go' -o -name go.mod -o -name go.sum \) -delete
  done
  # Kubernetes 1.20 builds in GOPATH mode from its vendor tree, as its own hack/ scripts do.
  ln -s "$src" "$work/gopath/src/k8s.io/kubernetes"
  # /version is served from client-go's copy, the flags from component-base's: stamp both
  local ldflags="-s -w" package
  for package in client-go/pkg/version component-base/version; do
    package=k8s.io/kubernetes/vendor/k8s.io/$package
    ldflags+=" -X $package.gitVersion=$KUBE_VERSION -X $package.gitMajor=1"
    ldflags+=" -X $package.gitMinor=20 -X $package.gitTreeState=clean"
  done
  log "building kube-apiserver and kube-controller-manager (about 15 minutes on 2 cores)"
  (cd "$work/gopath/src/k8s.io/kubernetes" &&
    export PATH=$go:$PATH GOPATH=$work/gopath GO111MODULE=off GOFLAGS= CGO_ENABLED=0 \
      GOCACHE=$CACHE/gocache-1.19 &&
    generate_openapi "$work" &&
    go build -ldflags "$ldflags" -o "$work/bin/" ./cmd/kube-apiserver ./cmd/kube-controller-manager \
      >"$work/build.log" 2>&1) \
    || { tail -n 40 "$work/build.log" >&2; die "building kubernetes failed"; }
  mkdir -p "$KUBE_DIR/bin"
  mv "$work/bin/kube-apiserver" "$work/bin/kube-controller-manager" "$KUBE_DIR/bin/"
  rm -rf "$work"
}

build_helm() {
  [[ -x $HELM_BIN ]] && return
  command -v go >/dev/null || [[ -x /usr/local/go/bin/go ]] || die "Go is missing: helm is built with it"
  local go=go
  command -v go >/dev/null || go=/usr/local/go/bin/go
  log "building helm $HELM_VERSION from its Go module"
  mkdir -p "$(dirname "$HELM_BIN")"
  GOBIN=$(dirname "$HELM_BIN") GOPATH=$CACHE/gopath GOCACHE=$CACHE/gocache CGO_ENABLED=0 \
    GOFLAGS=-modcacherw "$go" install \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" \
    >"$CACHE/helm-build.log" 2>&1 || { tail -n 40 "$CACHE/helm-build.log" >&2; die "building helm failed"; }
}

require_prebuilt() { # a current version is built by scripts/cluster.sh, not here
  local binary
  for binary in "$KUBE_DIR/bin/kube-apiserver" "$KUBE_DIR/bin/kube-controller-manager" "$ETCD_BIN"; do
    [[ -x $binary ]] || die "$binary is missing: Kubernetes $KUBE_VERSION and its etcd are built by \
\`ALPHA_PANDA_CACHE=$CACHE scripts/cluster.sh build\` (about 95 minutes of Go builds; docs/cluster.md)"
  done
}

build() {
  mkdir -p "$CACHE"
  exec 8>"$CACHE/.kube-build.lock"; flock 8   # one build at a time, others wait and reuse it
  apt_install openssl curl
  if [[ $REQUESTED_VERSION == "$DEFAULT_KUBE_VERSION" ]]; then
    apt_install etcd-server
    build_kubernetes
  else
    require_prebuilt
  fi
  build_helm
  flock -u 8
}

wait_ready() { # name url seconds logfile
  local deadline=$((SECONDS + $3))
  until curl -fsk --max-time 2 -H "Authorization: Bearer $(cat "$RUN/token")" "$2" >/dev/null 2>&1; do
    if ((SECONDS > deadline)); then
      echo "kube: $1 was not ready at $2 within $3 s; its log follows" >&2
      tail -n 40 "$4" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
}

make_certificates() {
  local pki=$RUN/pki
  mkdir -p "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=alpha-panda-test-ca" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$pki/apiserver.key" -out "$pki/apiserver.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$pki/san.ext"
  openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
    -CAcreateserial -days 30 -extfile "$pki/san.ext" -out "$pki/apiserver.crt" 2>/dev/null
  openssl genrsa -out "$pki/service-account.key" 2048 2>/dev/null
}

write_kubeconfig() { # port
  cat >"$RUN/kubeconfig" <<CONFIG
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$1
    certificate-authority: $RUN/pki/ca.crt
users:
- name: admin
  user:
    token: $(cat "$RUN/token")
contexts:
- name: local
  context: {cluster: local, user: admin, namespace: default}
current-context: local
CONFIG
}

start() {
  rm -rf "$ETCD_DIR" "$RUN/pki" "$RUN"/*.log && mkdir -p "$RUN"
  python3 -c 'import secrets; print(secrets.token_hex(24))' >"$RUN/token"
  printf '%s,admin,admin,system:masters\n' "$(cat "$RUN/token")" >"$RUN/tokens.csv"
  chmod 600 "$RUN/token" "$RUN/tokens.csv"
  umask 077
  make_certificates
  local etcd_port peer_port api_port manager_port
  etcd_port=$(free_port); peer_port=$(free_port); api_port=$(free_port); manager_port=$(free_port)
  # flags both versions accept; 1.20 also needs its insecure port and klog's stderr switched off
  local legacy_apiserver=() legacy_manager=()
  if [[ $REQUESTED_VERSION == 1.20.2 ]]; then
    legacy_apiserver=(--insecure-port 0 --logtostderr)
    legacy_manager=(--port 0 --logtostderr)
  fi
  nohup "$ETCD_BIN" --data-dir "$ETCD_DIR" --listen-client-urls "http://127.0.0.1:$etcd_port" \
    --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" \
    >"$RUN/etcd.log" 2>&1 9>&- &
  echo $! >"$RUN/etcd.pid"
  nohup "$KUBE_DIR/bin/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --secure-port "$api_port" --advertise-address 127.0.0.1 \
    --tls-cert-file "$RUN/pki/apiserver.crt" --tls-private-key-file "$RUN/pki/apiserver.key" \
    --client-ca-file "$RUN/pki/ca.crt" --token-auth-file "$RUN/tokens.csv" \
    --authorization-mode RBAC --service-cluster-ip-range 10.96.0.0/16 \
    --service-account-key-file "$RUN/pki/service-account.key" \
    --service-account-signing-key-file "$RUN/pki/service-account.key" \
    --service-account-issuer https://kubernetes.default.svc \
    --enable-admission-plugins NamespaceLifecycle,ServiceAccount,OwnerReferencesPermissionEnforcement \
    --disable-admission-plugins StorageObjectInUseProtection,DefaultStorageClass \
    --watch-cache=true "${legacy_apiserver[@]}" >"$RUN/apiserver.log" 2>&1 9>&- &
  echo $! >"$RUN/apiserver.pid"
  wait_ready kube-apiserver "https://127.0.0.1:$api_port/readyz" 60 "$RUN/apiserver.log"
  write_kubeconfig "$api_port"
  nohup "$KUBE_DIR/bin/kube-controller-manager" --kubeconfig "$RUN/kubeconfig" \
    --authentication-kubeconfig "$RUN/kubeconfig" --authorization-kubeconfig "$RUN/kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$manager_port" --leader-elect=false \
    --controllers 'deployment,replicaset,garbagecollector,namespace,serviceaccount-token,serviceaccount' \
    --service-account-private-key-file "$RUN/pki/service-account.key" \
    --root-ca-file "$RUN/pki/ca.crt" --use-service-account-credentials=false \
    --concurrent-deployment-syncs 10 --concurrent-replicaset-syncs 10 --concurrent-gc-syncs 20 \
    "${legacy_manager[@]}" >"$RUN/controller-manager.log" 2>&1 9>&- &
  echo $! >"$RUN/controller-manager.pid"
  wait_ready kube-controller-manager "https://127.0.0.1:$manager_port/healthz" 60 \
    "$RUN/controller-manager.log"
}

running() {
  [[ -f $ENV_FILE ]] && alive "$RUN/etcd.pid" && alive "$RUN/apiserver.pid" \
    && alive "$RUN/controller-manager.pid"
}

print_env() {
  echo "KUBECONFIG=$RUN/kubeconfig"
  echo "HELM=$HELM_BIN"
}

up() {
  build
  mkdir -p "$RUN"
  exec 9>"$RUN/.lock"; flock 9   # concurrent callers wait for one start
  if ! running; then
    stop_processes
    start
  fi
  print_env >"$ENV_FILE.tmp"
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  cat "$ENV_FILE"
}

stop_processes() {
  local f
  for f in controller-manager apiserver etcd; do
    alive "$RUN/$f.pid" && kill "$(cat "$RUN/$f.pid")" 2>/dev/null || true
    while alive "$RUN/$f.pid"; do sleep 0.2; done
  done
  return 0
}

down() {
  stop_processes
  rm -rf "$RUN" "$ETCD_DIR"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  build) build ;;
  helm) mkdir -p "$CACHE" && build_helm && echo "$HELM_BIN" ;;
  env) running && cat "$ENV_FILE" || die "not running (scripts/kube.sh up)" ;;
  *) echo "usage: $0 up|down|env|build|helm" >&2; exit 2 ;;
esac
