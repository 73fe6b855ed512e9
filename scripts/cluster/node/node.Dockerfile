# A kind node: the base image plus Kubernetes' node binaries, the version kind reads, and the
# control-plane images as archives that alpha-panda-images.service imports before the kubelet.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
ARG PAUSE_IMAGE
RUN sed -i "s|@PAUSE_IMAGE@|${PAUSE_IMAGE}|" /etc/containerd/config.toml
COPY bin/ /usr/bin/
COPY images/ /kind/images/
COPY version /kind/version
