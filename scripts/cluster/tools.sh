# Build the Go programs a kind cluster needs besides Kubernetes itself, each cached under
# $CACHE by version: kind, etcd and CoreDNS (both for the node's control-plane images).
# Sourced by scripts/cluster.sh.

go_env() { # run a command with the cache's Go settings
  GOPATH=$CACHE/gopath GOCACHE=$CACHE/gocache GOFLAGS=-modcacherw CGO_ENABLED=0 GOTOOLCHAIN=local "$@"
}

build_kind() { # -> $KIND_BIN
  [[ -x $KIND_BIN ]] && return
  log "building kind $KIND_VERSION from its Go module"
  mkdir -p "$(dirname "$KIND_BIN")"
  go_env env GOBIN="$(dirname "$KIND_BIN")" go install "sigs.k8s.io/kind@$KIND_VERSION" \
    >"$CACHE/kind-build.log" 2>&1 || { tail -n 20 "$CACHE/kind-build.log" >&2; die "building kind failed"; }
}

kind_module_dir() { # where `go install` left kind's sources (its images/base files are used)
  echo "$CACHE/gopath/pkg/mod/sigs.k8s.io/kind@$KIND_VERSION"
}

build_from_module() { # module version package output: go build a main package of a module
  # whose go.mod has replace directives (so `go install` refuses it) from a wrapper module
  local module=$1 version=$2 package=$3 out=$4 work
  [[ -x $out ]] && return
  work=$(dirname "$out")/module
  mkdir -p "$work"
  log "building $package $version from its Go module"
  (
    cd "$work"
    [[ -f go.mod ]] || go mod init alpha-panda.local/build >/dev/null 2>&1
    go_env go mod edit -require "$module@$version"
    go_env go get "$package@$version" >build.log 2>&1
    go_env go build -trimpath -ldflags "-s -w" -o "$out.tmp" "$package" >>build.log 2>&1
    mv "$out.tmp" "$out"
  ) || { tail -n 20 "$work/build.log" >&2; die "building $package failed"; }
}

build_etcd() { # -> $ETCD_BIN
  build_from_module go.etcd.io/etcd/server/v3 "v$ETCD_VERSION" go.etcd.io/etcd/server/v3 "$ETCD_BIN"
}

build_coredns() { # -> $COREDNS_BIN
  build_from_module github.com/coredns/coredns "$COREDNS_VERSION" github.com/coredns/coredns "$COREDNS_BIN"
}
