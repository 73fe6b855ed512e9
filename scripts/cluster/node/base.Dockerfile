# kind's base image rebuilt from Debian packages (containerd, runc, CNI plugins, systemd) instead
# of kind's own builds, with kind's files (entrypoint, systemd units) taken from its Go module.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       systemd containerd runc containernetworking-plugins conntrack iptables nftables iproute2 \
       ethtool util-linux mount kmod libseccomp2 pigz bash ca-certificates curl jq procps socat \
    && rm -rf /var/lib/apt/lists/*
COPY kind/ /
COPY overlay/ /
RUN chmod 0755 /usr/local/bin/* /kind/bin/* \
    && ln -sf /usr/bin/containerd /usr/local/bin/containerd \
    && mkdir -p /opt/cni /etc/kubernetes/manifests /kind/images \
    && ln -sfn /usr/lib/cni /opt/cni/bin \
    && ctr oci spec \
       | jq '.hooks.createContainer[.hooks.createContainer | length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' \
       | jq 'del(.process.rlimits)' >/etc/containerd/cri-base.json \
    && find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete \
    && rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \
       /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* \
       /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/* \
    && echo "ReadKMsg=no" >>/etc/systemd/journald.conf \
    && ln -sf /lib/systemd/systemd /sbin/init \
    && systemctl enable kubelet.service containerd.service undo-mount-hacks.service \
       alpha-panda-images.service \
    && systemctl mask systemd-binfmt.service
ENV container=docker
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]
