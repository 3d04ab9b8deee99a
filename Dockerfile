# archiver as a container: the inbox and the data (SQLite archive, failed/) are volumes.
#   docker build -t archiver .
#   docker run -v "$PWD/inbox:/inbox" -v "$PWD/data:/data" archiver
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ARCHIVER_INBOX=/inbox \
    ARCHIVER_FAILED_DIR=/data/failed \
    ARCHIVER_DATABASE_URL=sqlite:////data/archive.db \
    ARCHIVER_LOG_FORMAT=json

WORKDIR /app
COPY pyproject.toml README.md hatch_build.py ./
COPY archiver ./archiver
COPY config ./config
# A C compiler for the install only: it compiles the pipeline's hot modules with mypyc (hatch_build.py).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && ARCHIVER_REQUIRE_NATIVE=1 pip install --no-cache-dir . \
    && apt-get purge -y gcc libc6-dev && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data archiver \
    && mkdir -p /inbox /data \
    && chown archiver:archiver /inbox /data

USER archiver
VOLUME ["/inbox", "/data"]

# Healthy when the database answers and the inbox is a folder the daemon can write to.
HEALTHCHECK --interval=60s --timeout=20s --start-period=30s --retries=3 \
    CMD archiver stats --json > /dev/null && test -w /inbox || exit 1

STOPSIGNAL SIGTERM
CMD ["archiver", "run"]
