# The images a development release runs: Alpha Panda itself, the Kite simulator and (local mode)
# Kafka, PostgreSQL and Redis built from Debian packages. They are loaded into the kind cluster
# and a Helm values file selecting them is written. Sourced by scripts/cluster.sh.

PYTHON_BASE_IMAGE=alpha-panda/python:3.11-$DEBIAN_SUITE
DEV_KAFKA_IMAGE=alpha-panda/dev-kafka:4.1.0
DEV_POSTGRES_IMAGE=alpha-panda/dev-postgres:$DEBIAN_SUITE
DEV_REDIS_IMAGE=alpha-panda/dev-redis:$DEBIAN_SUITE

build_dev_infrastructure_images() {
  have_image "$PYTHON_BASE_IMAGE" \
    || docker_build "$PYTHON_BASE_IMAGE" "$ROOT/images/debian-python" --build-arg "BASE_IMAGE=$DEBIAN_IMAGE"
  have_image "$DEV_POSTGRES_IMAGE" \
    || docker_build "$DEV_POSTGRES_IMAGE" "$ROOT/images/dev/postgres" --build-arg "BASE_IMAGE=$DEBIAN_IMAGE"
  have_image "$DEV_REDIS_IMAGE" \
    || docker_build "$DEV_REDIS_IMAGE" "$ROOT/images/dev/redis" --build-arg "BASE_IMAGE=$DEBIAN_IMAGE"
  if ! have_image "$DEV_KAFKA_IMAGE"; then
    local context jars
    jars=$(ALPHA_PANDA_CACHE=$CACHE "$SCRIPT_DIR/infra.sh" kafka-jars) || die "fetching the Kafka jars failed"
    context=$(mktemp -d)
    cp -r "$ROOT/images/dev/kafka/." "$context/" && cp -r "$jars" "$context/lib"
    docker_build "$DEV_KAFKA_IMAGE" "$context" --build-arg "BASE_IMAGE=$DEBIAN_IMAGE"
    rm -rf "$context"
  fi
}

load_images() { # image...: kind load what the node does not have yet
  local image id loaded=$RUN/loaded-images
  touch "$loaded"
  for image in "$@"; do
    id=$("$DOCKER" image inspect -f '{{.Id}}' "$image")
    grep -qxF "$image $id" "$loaded" && continue
    log "loading $image into kind"
    "$KIND_BIN" load docker-image --name "$CLUSTER" "$image" >>"$RUN/load.log" 2>&1 \
      || { tail -n 20 "$RUN/load.log" >&2; die "kind load $image failed"; }
    echo "$image $id" >>"$loaded"
  done
}

build_project_images() { # tag -> prints the path of a Helm values file selecting them
  local tag=$1 base=() values=$RUN/values-$1.yaml
  if [[ $MODE == local ]]; then
    build_dev_infrastructure_images
    base=(--build-arg "BASE_IMAGE=$PYTHON_BASE_IMAGE")
  fi
  docker_build "alpha-panda:$tag" "$ROOT" "${base[@]}"
  docker_build "alpha-panda-kite-sim:$tag" "$ROOT" "${base[@]}" --target kite-sim
  local images=("alpha-panda:$tag" "alpha-panda-kite-sim:$tag")
  cat >"$values" <<VALUES
image: {repository: alpha-panda, tag: "$tag", pullPolicy: Never}
dev:
  enabled: true
  kiteSimulator: {repository: alpha-panda-kite-sim, tag: "$tag"}
VALUES
  if [[ $MODE == local ]]; then
    images+=("$DEV_KAFKA_IMAGE" "$DEV_POSTGRES_IMAGE" "$DEV_REDIS_IMAGE")
    cat >>"$values" <<VALUES
  imagePullPolicy: Never
  kafkaImage: $DEV_KAFKA_IMAGE
  postgresImage: $DEV_POSTGRES_IMAGE
  redisImage: $DEV_REDIS_IMAGE
VALUES
  fi
  load_images "${images[@]}"
  echo "$values"
}
