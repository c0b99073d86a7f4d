# Multi-stage build of the e-commissariat API (first build: about 10 minutes on 2 cores).
# The image runs in production mode: it refuses to start without a trusted identity
# provider (`auth.issuers`, e.g. a config file in ECOM_CONFIG; see
# config/production.example.toml). `docker compose up` runs it as a demo instead (see
# docker-compose.yml). SIGTERM or SIGINT: in-flight requests finish (30 s); a second
# signal stops at once. `.ci/run` checks that `.dockerignore` keeps what this build needs.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p api --bin ecommissariat

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app ecommissariat \
    && mkdir -p /app/data && chown ecommissariat /app/data
COPY --from=build /src/target/release/ecommissariat /usr/local/bin/ecommissariat
USER ecommissariat
WORKDIR /app
ENV ECOM__SERVER__BIND=0.0.0.0:8080 \
    ECOM__ENVIRONMENT=production \
    ECOM__LOG__FORMAT=json
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["ecommissariat"]
CMD ["serve"]
