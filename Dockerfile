# syntax=docker/dockerfile:1
# The pm server as a container image (docs/deployment.md):
#   docker build -t pm .
#   docker run -p 3000:3000 -v pm-data:/data pm
# tests/integration/server/test_image.py performs these steps outside Docker in `make test`,
# so a file or dependency missing from the image fails a test.

# --- build: the locked dependencies and the project, into /app/.venv ---
FROM python:3.11-slim AS build
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
# The dependencies first: this layer is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project
COPY src ./src
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable

# --- runtime: the virtual environment only, run by an unprivileged user ---
FROM python:3.11-slim
RUN groupadd --system --gid 10001 pm \
    && useradd --system --uid 10001 --gid pm --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin pm \
    && mkdir /data \
    && chown pm:pm /data
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    DB_PATH=/data \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
# Tenant databases and the generated JWT secret (unless JWT_SECRET is set) live here.
VOLUME ["/data"]
# Numeric, so that runtimes enforcing a non-root user (runAsNonRoot) can check it.
USER 10001:10001
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/live' % os.environ.get('SERVER_PORT', '3000'), timeout=4)"]
# Exec form: the server is PID 1 and gets SIGTERM itself (`docker stop`: graceful stop).
CMD ["pm-server", "serve"]
