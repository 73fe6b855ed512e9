#!/usr/bin/env bash
# A kind cluster for developing and testing Alpha Panda, with pods run by a real kubelet.
#
#   scripts/cluster.sh up       build what is missing (once), create the cluster, print its env
#   scripts/cluster.sh down     delete the cluster (and stop a dockerd this script started)
#   scripts/cluster.sh env      print KUBECONFIG=..., HELM=..., KIND=..., ... of the running cluster
#   scripts/cluster.sh status   the cluster's nodes and pods
#   scripts/cluster.sh build    only build and cache the tools and the node image
#   scripts/cluster.sh images TAG   build the Alpha Panda, Kite simulator and development
#                               infrastructure images, load them into kind and print the Helm
#                               values that select them (a file path)
#
# Two ways to get images, chosen by ALPHA_PANDA_CLUSTER_IMAGES:
#   public  a machine with Docker and internet: kind's own node image, python:3.11-slim and the
#           chart's public infrastructure images (apache/kafka, postgres, redis)
#   local   no registry reachable (the project's machines): Debian's docker.io, a debootstrap
#           base image, kind and Kubernetes built from their Go modules, a node image assembled
#           here, and infrastructure images built from Debian packages and the Kafka jars
#   auto    (default) local where root lacks CAP_SYS_RESOURCE or Docker is not installed,
#           public otherwise
# Everything built is cached under $ALPHA_PANDA_CACHE keyed by version, so a second `up` takes
# about a minute; the cluster itself is throw-away.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$SCRIPT_DIR")
CACHE=${ALPHA_PANDA_CACHE:-$HOME/.cache/alpha-panda}
RUN=${ALPHA_PANDA_CLUSTER_RUN:-/tmp/alpha-panda-cluster}
CLUSTER=${ALPHA_PANDA_CLUSTER_NAME:-alpha-panda}
MODE=${ALPHA_PANDA_CLUSTER_IMAGES:-auto}

KIND_VERSION=v0.30.0
KUBE_VERSION=v1.34.4          # >= 1.35 refuses cgroup v1 hosts by default; 1.34 warns only
ETCD_VERSION=3.6.5            # what kubeadm $KUBE_VERSION deploys (checked when building)
COREDNS_VERSION=v1.12.1
KIND_BIN=$CACHE/kind-$KIND_VERSION/kind
KUBE_DIR=$CACHE/kubernetes-$KUBE_VERSION
ETCD_BIN=$CACHE/etcd-v$ETCD_VERSION/etcd
COREDNS_BIN=$CACHE/coredns-$COREDNS_VERSION/coredns
ENV_FILE=$RUN/env

log() { echo "cluster: $*" >&2; }
die() { echo "cluster: $*" >&2; exit 1; }

apt_install() { # packages...
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  command -v apt-get >/dev/null || die "install ${missing[*]} by hand"
  log "installing ${missing[*]} from apt"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } \
    >/dev/null || die "apt-get install ${missing[*]} failed"
}

# shellcheck source=cluster/docker.sh
source "$SCRIPT_DIR/cluster/docker.sh"
# shellcheck source=cluster/tools.sh
source "$SCRIPT_DIR/cluster/tools.sh"
# shellcheck source=cluster/kubernetes.sh
source "$SCRIPT_DIR/cluster/kubernetes.sh"
# shellcheck source=cluster/images.sh
source "$SCRIPT_DIR/cluster/images.sh"
# shellcheck source=cluster/project-images.sh
source "$SCRIPT_DIR/cluster/project-images.sh"

node_inputs_hash() { # rebuild the node image when its recipe changes
  (cd "$SCRIPT_DIR/cluster" && find node runc-without-sys-resource images.sh -type f -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-10
}
KIND_BASE_IMAGE=alpha-panda/kind-base:$DEBIAN_SUITE-$(node_inputs_hash)
NODE_IMAGE=alpha-panda/kind-node:$KUBE_VERSION-$(node_inputs_hash)

resolve_mode() {
  case $MODE in
    local | public) ;;
    auto)
      if lacks_sys_resource || ! command -v docker >/dev/null; then MODE=local; else MODE=public; fi ;;
    *) die "ALPHA_PANDA_CLUSTER_IMAGES must be local, public or auto, not '$MODE'" ;;
  esac
}

helm_bin() { # reuse scripts/kube.sh's helm build
  ALPHA_PANDA_CACHE=$CACHE "$SCRIPT_DIR/kube.sh" helm
}

build() {
  mkdir -p "$CACHE" "$RUN"
  exec 8>"$CACHE/.cluster-build.lock"; flock 8   # one build at a time; others wait and reuse it
  ensure_docker
  build_kind
  helm_bin >/dev/null
  if [[ $MODE == local ]]; then
    command -v go >/dev/null || die "Go is missing: kind and Kubernetes are built with it"
    build_kubernetes_binaries "$KUBE_VERSION" "$KUBE_DIR"
    build_etcd
    build_coredns
    build_debian_image
    build_kind_base_image
    build_node_image
  fi
  flock -u 8
}

kind_() { "$KIND_BIN" "$@"; }

cluster_exists() { kind_ get clusters 2>/dev/null | grep -qx "$CLUSTER"; }

create_cluster() {
  local config=$RUN/kind.yaml image=()
  cat >"$config" <<CONFIG
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: $CLUSTER
CONFIG
  if [[ $MODE == local ]]; then
    # the node image carries a ptp CNI configuration: kindnet's image cannot be pulled here
    printf 'networking:\n  disableDefaultCNI: true\n' >>"$config"
    image=(--image "$NODE_IMAGE")
  fi
  log "creating kind cluster $CLUSTER"
  kind_ create cluster --config "$config" "${image[@]}" --kubeconfig "$RUN/kubeconfig" \
    --wait 0s >"$RUN/create.log" 2>&1 || { tail -n 30 "$RUN/create.log" >&2; die "kind create failed"; }
}

kubectl_() { kubectl_bin --kubeconfig "$RUN/kubeconfig" "$@"; }

kubectl_bin() {
  if [[ -x $KUBE_DIR/bin/kubectl ]]; then "$KUBE_DIR/bin/kubectl" "$@"
  else "$DOCKER" exec -i "$CLUSTER-control-plane" kubectl "$@"; fi
}

wait_ready() { # the node and kube-system (CoreDNS, kube-proxy) Ready
  kubectl_ wait --for=condition=Ready node --all --timeout=180s >/dev/null \
    || die "the node did not become Ready (kubectl get nodes -o yaml; $RUN/create.log)"
  kubectl_ -n kube-system wait --for=condition=Ready pod --all --timeout=180s >/dev/null \
    || die "kube-system pods did not become Ready (kubectl -n kube-system get pods)"
}

print_env() {
  echo "KUBECONFIG=$RUN/kubeconfig"
  echo "HELM=$(helm_bin)"
  echo "KIND=$KIND_BIN"
  echo "KUBECTL=$KUBE_DIR/bin/kubectl"
  echo "DOCKER=$DOCKER"
  echo "ALPHA_PANDA_CLUSTER_NAME=$CLUSTER"
  echo "ALPHA_PANDA_CLUSTER_IMAGES=$MODE"
}

up() {
  resolve_mode
  build
  exec 9>"$RUN/.lock"; flock 9
  if ! cluster_exists; then
    create_cluster
  else
    kind_ export kubeconfig --name "$CLUSTER" --kubeconfig "$RUN/kubeconfig" >/dev/null 2>&1
  fi
  wait_ready
  print_env >"$ENV_FILE.tmp" && mv "$ENV_FILE.tmp" "$ENV_FILE"
  cat "$ENV_FILE"
}

down() {
  [[ -x $KIND_BIN ]] && docker_running && cluster_exists && kind_ delete cluster --name "$CLUSTER" >&2
  stop_docker
  rm -rf "$RUN"
}

status() {
  [[ -f $ENV_FILE ]] && cluster_exists || { echo "cluster: not running (scripts/cluster.sh up)"; return 1; }
  kubectl_ get nodes -o wide
  kubectl_ get pods --all-namespaces -o wide
}

case ${1:-} in
  up) up ;;
  down) down ;;
  build) resolve_mode; build ;;
  env) [[ -f $ENV_FILE ]] && docker_running && cluster_exists && cat "$ENV_FILE" \
         || die "not running (scripts/cluster.sh up)" ;;
  status) status ;;
  images) [[ -n ${2:-} ]] || die "usage: $0 images TAG"
          [[ -f $ENV_FILE ]] || die "not running (scripts/cluster.sh up)"
          resolve_mode; build_project_images "$2" ;;
  *) echo "usage: $0 up|down|env|status|build|images TAG" >&2; exit 2 ;;
esac
