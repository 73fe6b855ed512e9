# Build Kubernetes' node binaries (kubelet, kubeadm, kubectl) and control-plane binaries
# (kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy) from the Go module
# k8s.io/kubernetes. Its go.mod points the k8s.io/* staging modules at ./staging, which a module
# download lacks, so a small wrapper module requires k8s.io/kubernetes and replaces each staging
# module with its published v0.N release. Sourced by scripts/cluster.sh.

KUBE_COMPONENTS=(kubelet kubeadm kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy)

build_kubernetes_binaries() { # version (v1.34.4) destination-dir
  local version=$1 dest=$2 staging=v0.${1#v1.} work=$2/module c missing=0
  for c in "${KUBE_COMPONENTS[@]}"; do [[ -x $dest/bin/$c ]] || missing=1; done
  ((missing)) || return 0
  mkdir -p "$work" "$dest/bin"
  log "building Kubernetes $version from its Go module (tens of minutes on 2 cores; cached afterwards)"
  (
    cd "$work"
    export GOFLAGS=-mod=mod GOPATH=$CACHE/gopath GOCACHE=$CACHE/gocache CGO_ENABLED=0 GOTOOLCHAIN=local
    [[ -f go.mod ]] || go mod init alpha-panda.local/kind-node >/dev/null 2>&1
    go mod edit -require "k8s.io/kubernetes@$version"
    curl -fsS "$(go env GOPROXY | cut -d, -f1)/k8s.io/kubernetes/@v/$version.mod" \
      | sed -n 's|^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*|\1|p' >staging.txt
    [[ -s staging.txt ]] || { echo "no staging modules found for $version" >&2; exit 1; }
    while read -r m; do go mod edit -replace "$m=$m@$staging"; done <staging.txt
    local ldflags="-s -w" pkg
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$(cut -d. -f2 <<<"$version")"
      ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
    done
    local missing_packages=()
    for c in "${KUBE_COMPONENTS[@]}"; do
      [[ -x $dest/bin/$c ]] || missing_packages+=("k8s.io/kubernetes/cmd/$c")
    done
    # one invocation: the commands' packages compile in parallel and are linked side by side
    rm -rf "$dest/bin.tmp" && mkdir -p "$dest/bin.tmp"
    go build -trimpath -ldflags "$ldflags" -o "$dest/bin.tmp/" "${missing_packages[@]}" >>build.log 2>&1
    mv "$dest"/bin.tmp/* "$dest/bin/" && rmdir "$dest/bin.tmp"
  ) || { tail -n 40 "$work/build.log" >&2; die "building Kubernetes $version failed"; }
}

kubernetes_source() { # where the Go module download left k8s.io/kubernetes (pause.c is used)
  echo "$CACHE/gopath/pkg/mod/k8s.io/kubernetes@$KUBE_VERSION"
}
