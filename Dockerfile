# One image for every sellergate node, and for the one-shot `sellergate db upgrade`.
# Built from the lock file, so the image runs exactly the tested dependency versions.
FROM python:3.11-slim AS build
ENV UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
RUN uv sync --frozen --no-dev --no-editable

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin sellergate \
    && mkdir -p /app/data && chown sellergate /app/data
COPY --from=build /app/.venv /app/.venv
ENV PATH="/app/.venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    SELLERGATE_DATA_DIR=/app/data
USER sellergate
WORKDIR /app
EXPOSE 8000
# serve stops gracefully on SIGTERM: in-flight requests finish, "last used" times are written.
STOPSIGNAL SIGTERM
ENTRYPOINT ["sellergate"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
