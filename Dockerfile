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
COPY pyproject.toml README.md ./
COPY archiver ./archiver
COPY config ./config
RUN pip install --no-cache-dir . \
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
