#!/usr/bin/env bash
# skaffold's development loop on the kind cluster of scripts/cluster.sh, for machines where
# skaffold itself cannot be installed: build the images, load them into kind, `helm upgrade
# --install` the chart with the development profile and the new image tag, report each
# Deployment's rollout, then watch the source tree and repeat on every change.
#
#   scripts/dev.sh            loop until Ctrl-C
#   scripts/dev.sh --once     one build and deploy, then exit (non-zero if a rollout failed)
#
# The image tag is a hash of the image's inputs, so an unchanged tree redeploys nothing and a
# code change rolls the pods. ALPHA_PANDA_DEV_NAMESPACE (default alpha-panda) and
# ALPHA_PANDA_DEV_RELEASE (default alpha-panda) name the target; ALPHA_PANDA_DEV_HELM_ARGS adds
# arguments to helm (for example "--set api.enabled=false").
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$SCRIPT_DIR")
NAMESPACE=${ALPHA_PANDA_DEV_NAMESPACE:-alpha-panda}
RELEASE=${ALPHA_PANDA_DEV_RELEASE:-alpha-panda}
ROLLOUT_TIMEOUT=${ALPHA_PANDA_DEV_ROLLOUT_TIMEOUT:-180s}
IMAGE_INPUTS=(Dockerfile pyproject.toml services operator devtools)
WATCHED=("${IMAGE_INPUTS[@]}" charts crds)

log() { echo "dev: $*" >&2; }

tree_hash() { # paths... -> a hash of every tracked or new file under them (ignoring .gitignore'd)
  # what sha256sum cannot read (a link to a directory, a deleted tracked file) adds no line
  (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard -- "$@" \
    | { xargs -0 -r sha256sum 2>/dev/null || true; }) | sha256sum | cut -c1-12
}

deploy() {
  local tag values started=$SECONDS failed=0 deployment
  tag=dev-$(tree_hash "${IMAGE_INPUTS[@]}")
  log "building and loading images tagged $tag"
  values=$("$SCRIPT_DIR/cluster.sh" images "$tag")
  log "helm upgrade --install $RELEASE (namespace $NAMESPACE)"
  # shellcheck disable=SC2086
  "$HELM" upgrade --install "$RELEASE" "$ROOT/charts/alpha-panda" --namespace "$NAMESPACE" \
    --create-namespace -f "$values" --set operator.resyncSeconds=10 \
    ${ALPHA_PANDA_DEV_HELM_ARGS:-} >/dev/null
  for deployment in $("$KUBECTL" -n "$NAMESPACE" get deployments -o name); do
    if "$KUBECTL" -n "$NAMESPACE" rollout status "$deployment" --timeout "$ROLLOUT_TIMEOUT" >/dev/null 2>&1; then
      log "  ready: $deployment"
    else
      log "  NOT READY within $ROLLOUT_TIMEOUT: $deployment (kubectl -n $NAMESPACE describe $deployment)"
      failed=1
    fi
  done
  log "deployed $tag in $((SECONDS - started)) s"
  return $failed
}

main() {
  eval "$("$SCRIPT_DIR/cluster.sh" up | sed 's/^/export /')"
  if [[ ${1:-} == --once ]]; then deploy; return; fi
  local seen current
  while true; do
    seen=$(tree_hash "${WATCHED[@]}")
    deploy || true
    log "watching ${WATCHED[*]} for changes (Ctrl-C to stop)"
    while current=$(tree_hash "${WATCHED[@]}") && [[ $current == "$seen" ]]; do sleep 2; done
  done
}

main "$@"
