# Container images built without a registry: a Debian base from debootstrap, the control-plane
# images a kind node needs (kubeadm's list, each holding a binary built here), kind's base image
# and the node image. Every image is tagged by version and rebuilt only when missing.
# Sourced by scripts/cluster.sh.

DEBIAN_SUITE=bookworm
DEBIAN_IMAGE=alpha-panda/debian:$DEBIAN_SUITE
KUBE_BASE_IMAGE=alpha-panda/kube-base:$DEBIAN_SUITE

have_image() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

docker_build() { # tag context [docker build arguments...]: passes the machine's CA bundle as a
  # build secret, so a build behind a TLS-inspecting proxy can use pip or curl
  local tag=$1 context=$2 ca=${ALPHA_PANDA_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
  shift 2
  local secret=()
  [[ -s $ca ]] && secret=(--secret "id=ca-bundle,src=$ca")
  log "building image $tag"
  "$DOCKER" build -q "${secret[@]}" -t "$tag" "$@" "$context" >"$RUN/build-${tag//[\/:]/_}.log" 2>&1 \
    || { tail -n 30 "$RUN/build-${tag//[\/:]/_}.log" >&2; die "building $tag failed"; }
}

build_debian_image() { # debootstrap a minimal Debian and import it: no registry involved
  have_image "$DEBIAN_IMAGE" && return
  apt_install debootstrap
  local rootfs=$CACHE/debian-$DEBIAN_SUITE/rootfs
  if [[ ! -f $rootfs/.complete ]]; then
    log "debootstrapping Debian $DEBIAN_SUITE (a few minutes)"
    rm -rf "$rootfs" && mkdir -p "$rootfs"
    debootstrap --variant=minbase --include=ca-certificates "$DEBIAN_SUITE" "$rootfs" \
      http://deb.debian.org/debian >"$CACHE/debian-$DEBIAN_SUITE/debootstrap.log" 2>&1 \
      || { tail -n 20 "$CACHE/debian-$DEBIAN_SUITE/debootstrap.log" >&2; die "debootstrap failed"; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    touch "$rootfs/.complete"
  fi
  tar -C "$rootfs" --exclude=./.complete -c . \
    | "$DOCKER" import --change 'CMD ["/bin/bash"]' - "$DEBIAN_IMAGE" >/dev/null
}

kubeadm_images() { # the images kubeadm deploys for this Kubernetes version
  "$KUBE_DIR/bin/kubeadm" config images list --kubernetes-version "$KUBE_VERSION" 2>/dev/null
}

image_tag() { echo "${1##*:}"; }

build_control_plane_images() { # -> one archive ($1) of every image kubeadm deploys
  local archive=$1 image name context images=()
  [[ -f $archive ]] && return
  have_image "$KUBE_BASE_IMAGE" || {
    context=$(mktemp -d)
    printf 'FROM %s\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends iptables conntrack ipset kmod && rm -rf /var/lib/apt/lists/*\n' \
      "$DEBIAN_IMAGE" >"$context/Dockerfile"
    docker_build "$KUBE_BASE_IMAGE" "$context"
    rm -rf "$context"
  }
  while read -r image; do
    images+=("$image")
    have_image "$image" && continue
    name=${image%:*}; name=${name##*/}
    context=$(mktemp -d)
    case $name in
      pause)
        gcc -Os -static -o "$context/pause" "$(kubernetes_source)/build/pause/linux/pause.c" \
          || die "compiling pause failed (needs gcc and the static C library, Debian: libc6-dev)"
        printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' >"$context/Dockerfile" ;;
      etcd)
        [[ $(image_tag "$image") == "$ETCD_VERSION"-* ]] \
          || die "kubeadm wants $image but etcd $ETCD_VERSION is configured"
        cp "$ETCD_BIN" "$context/"
        printf 'FROM %s\nCOPY etcd /usr/local/bin/etcd\n' "$KUBE_BASE_IMAGE" >"$context/Dockerfile" ;;
      coredns)
        [[ $(image_tag "$image") == "$COREDNS_VERSION" ]] \
          || die "kubeadm wants $image but CoreDNS $COREDNS_VERSION is configured"
        cp "$COREDNS_BIN" "$context/"
        printf 'FROM %s\nCOPY coredns /coredns\nENTRYPOINT ["/coredns"]\n' "$KUBE_BASE_IMAGE" >"$context/Dockerfile" ;;
      kube-proxy)
        cp "$KUBE_DIR/bin/kube-proxy" "$context/kube-proxy.bin"
        cp "$SCRIPT_DIR/cluster/node/kube-proxy" "$context/kube-proxy"
        printf 'FROM %s\nCOPY kube-proxy.bin kube-proxy /usr/local/bin/\n' "$KUBE_BASE_IMAGE" >"$context/Dockerfile" ;;
      *)
        cp "$KUBE_DIR/bin/$name" "$context/"
        printf 'FROM %s\nCOPY %s /usr/local/bin/%s\n' "$KUBE_BASE_IMAGE" "$name" "$name" >"$context/Dockerfile" ;;
    esac
    docker_build "$image" "$context"
    rm -rf "$context"
  done < <(kubeadm_images)
  ((${#images[@]})) || die "kubeadm listed no images"
  mkdir -p "$(dirname "$archive")"
  # one archive: the images share their base layers
  "$DOCKER" save -o "$archive.tmp" "${images[@]}" && mv "$archive.tmp" "$archive"
}

pause_image() { kubeadm_images | grep '/pause:'; }

build_kind_base_image() {
  have_image "$KIND_BASE_IMAGE" && return
  local context
  context=$(mktemp -d)
  cp -r "$(kind_module_dir)/images/base/files" "$context/kind"
  rm -rf "$context/kind/LICENSES" "$context/kind/etc/systemd/system/containerd-fuse-overlayfs.service"
  chmod -R u+w "$context/kind"
  cp -r "$SCRIPT_DIR/cluster/node/overlay" "$context/overlay"
  install -D -m 0755 "$SCRIPT_DIR/cluster/runc-without-sys-resource" \
    "$context/overlay/usr/local/bin/runc-without-sys-resource"
  rm -f "$context/kind/etc/containerd/config.toml"
  docker_build "$KIND_BASE_IMAGE" "$context" -f "$SCRIPT_DIR/cluster/node/base.Dockerfile" \
    --build-arg "BASE_IMAGE=$DEBIAN_IMAGE"
  rm -rf "$context"
}

build_node_image() {
  have_image "$NODE_IMAGE" && return
  local context c
  context=$(mktemp -d)
  mkdir -p "$context/bin"
  for c in kubelet kubeadm kubectl; do cp "$KUBE_DIR/bin/$c" "$context/bin/"; done
  build_control_plane_images "$CACHE/kind-node-$KUBE_VERSION/control-plane.tar"
  mkdir -p "$context/images"
  cp "$CACHE/kind-node-$KUBE_VERSION/control-plane.tar" "$context/images/"
  echo "$KUBE_VERSION" >"$context/version"
  docker_build "$NODE_IMAGE" "$context" -f "$SCRIPT_DIR/cluster/node/node.Dockerfile" \
    --build-arg "BASE_IMAGE=$KIND_BASE_IMAGE" --build-arg "PAUSE_IMAGE=$(pause_image)"
  rm -rf "$context"
}
