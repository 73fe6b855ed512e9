# One image for every Alpha Panda process: `alpha-panda serve <service>` for the services and
# the API, `python -m alpha_panda_operator` for the operator.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml ./
COPY services ./services
COPY operator ./operator
RUN python -m venv /opt/alpha-panda \
    && /opt/alpha-panda/bin/pip install --no-compile . \
    && /opt/alpha-panda/bin/python -m compileall -q /opt/alpha-panda/lib

FROM python:3.11-slim
ENV PATH=/opt/alpha-panda/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ALPHA_PANDA_HTTP_PORT=8080
RUN groupadd --system --gid 10001 alpha \
    && useradd --system --uid 10001 --gid alpha --no-create-home --shell /usr/sbin/nologin alpha
COPY --from=build /opt/alpha-panda /opt/alpha-panda
USER 10001:10001
WORKDIR /tmp
EXPOSE 8080
CMD ["alpha-panda", "--help"]
