# Image for the production-like stack (web, worker, beat share it).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.production
WORKDIR /app
# Pango and a CJK font for the annual report's PDF (WeasyPrint); nothing else needs them.
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir . && useradd --system --home /app app \
    && mkdir -p /app/var && chown app /app/var
# the .mo catalogues are built from the .po files, as root since /app is root's
RUN SECRET_KEY=build-only AUDIT_SIGNING_KEY=build-only ALLOWED_HOSTS=localhost \
    python manage.py compile_translations
USER app
RUN SECRET_KEY=build-only AUDIT_SIGNING_KEY=build-only ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
