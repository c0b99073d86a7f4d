# Multi-stage build of the e-commissariat API.
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
