# One image for every Alpha Panda process: `alpha-panda serve <service>` for the services and
# the API, `python -m alpha_panda_operator` for the operator. `--target kite-sim` builds the
# development image of the Kite simulator instead; the production image never contains it.
#
# BASE_IMAGE is any Debian-like image with Python 3.11 at python3 (scripts/cluster.sh builds
# one without a registry). A build behind a TLS-inspecting proxy passes the machine's CA bundle
# as the secret `ca-bundle` (docker build --secret id=ca-bundle,src=/etc/ssl/certs/ca-certificates.crt);
# it is mounted for pip only and never stored in a layer.
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python3 -m venv /opt/alpha-panda
COPY pyproject.toml ./
# The dependencies in a layer of their own: a code change rebuilds only the project's layer
# below, in seconds, instead of downloading every dependency again (what `make dev` waits for).
RUN --mount=type=secret,id=ca-bundle \
    if [ -s /run/secrets/ca-bundle ]; then export PIP_CERT=/run/secrets/ca-bundle; fi \
    && python3 -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"], sep="\n")' >requirements.txt \
    && /opt/alpha-panda/bin/pip install --no-compile -r requirements.txt \
    && /opt/alpha-panda/bin/python -m compileall -q /opt/alpha-panda/lib
COPY services ./services
COPY operator ./operator
RUN --mount=type=secret,id=ca-bundle \
    if [ -s /run/secrets/ca-bundle ]; then export PIP_CERT=/run/secrets/ca-bundle; fi \
    && /opt/alpha-panda/bin/pip install --no-compile --no-deps . \
    && /opt/alpha-panda/bin/python -m compileall -q /opt/alpha-panda/lib

# The development tools (the Kite simulator) on top of the product, for the kite-sim target only.
FROM build AS devtools
COPY devtools ./devtools
RUN --mount=type=secret,id=ca-bundle \
    if [ -s /run/secrets/ca-bundle ]; then export PIP_CERT=/run/secrets/ca-bundle; fi \
    && /opt/alpha-panda/bin/pip install --no-compile --no-deps ./devtools \
    && /opt/alpha-panda/bin/python -m compileall -q /opt/alpha-panda/lib

FROM ${BASE_IMAGE} AS runtime
ENV PATH=/opt/alpha-panda/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ALPHA_PANDA_HTTP_PORT=8080
RUN groupadd --system --gid 10001 alpha \
    && useradd --system --uid 10001 --gid alpha --no-create-home --shell /usr/sbin/nologin alpha
USER 10001:10001
WORKDIR /tmp
EXPOSE 8080

# Development only: the Kite Connect simulator, for paper sessions on a cluster with no Kite.
FROM runtime AS kite-sim
COPY --from=devtools /opt/alpha-panda /opt/alpha-panda
EXPOSE 8090
ENTRYPOINT ["kite-sim"]
CMD ["--host", "0.0.0.0", "--port", "8090"]

FROM runtime
COPY --from=build /opt/alpha-panda /opt/alpha-panda
CMD ["alpha-panda", "--help"]
