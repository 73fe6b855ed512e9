# The container engine kind runs on: a running Docker daemon is used as it is; otherwise Debian's
# docker.io is installed and dockerd started. Where root lacks CAP_SYS_RESOURCE (containers here),
# dockerd's default runtime is runc-without-sys-resource, which makes --privileged containers and
# negative OOM scores work. Sourced by scripts/cluster.sh.

DOCKER=/usr/bin/docker
export DOCKER_BUILDKIT=1

lacks_sys_resource() { # CAP_SYS_RESOURCE is bit 24 of the bounding set
  local bounding
  bounding=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
  (( ((16#$bounding >> 24) & 1) == 0 ))
}

runtime_wrapper() { # installs the wrapper outside the clone, prints its path
  local dest=/usr/local/libexec/alpha-panda/runc-without-sys-resource
  if ! cmp -s "$SCRIPT_DIR/cluster/runc-without-sys-resource" "$dest" 2>/dev/null; then
    install -D -m 0755 "$SCRIPT_DIR/cluster/runc-without-sys-resource" "$dest"
  fi
  echo "$dest"
}

docker_running() { "$DOCKER" info >/dev/null 2>&1; }

ensure_docker() {
  [[ -x $DOCKER ]] || DOCKER=$(command -v docker) || true
  if [[ -n $DOCKER ]] && docker_running; then return; fi
  apt_install docker.io jq
  DOCKER=/usr/bin/docker
  local args=() deadline
  if lacks_sys_resource; then
    args=(--add-runtime "alpha-panda-runc=$(runtime_wrapper)" --default-runtime alpha-panda-runc)
  fi
  log "starting dockerd (log: $RUN/dockerd.log)"
  mkdir -p "$RUN"
  nohup dockerd "${args[@]}" >"$RUN/dockerd.log" 2>&1 9>&- 8>&- &
  echo $! >"$RUN/dockerd.pid"
  deadline=$((SECONDS + 60))
  until docker_running; do
    ((SECONDS < deadline)) || { tail -n 20 "$RUN/dockerd.log" >&2; die "dockerd did not start"; }
    sleep 0.5
  done
}

stop_docker() { # only a dockerd this script started
  [[ -f $RUN/dockerd.pid ]] || return 0
  local pid
  pid=$(cat "$RUN/dockerd.pid")
  kill "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.5; done
  rm -f "$RUN/dockerd.pid"
}
