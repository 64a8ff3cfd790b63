# The production image: web (gunicorn), worker and beat all run from it (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 tandem \
    && useradd --system --uid 10001 --gid tandem --home-dir /app --no-create-home --shell /usr/sbin/nologin tandem

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them.
COPY requirements/base.txt requirements/base.txt
RUN pip install -r requirements/base.txt

COPY . .

# collectstatic only needs the settings to load: this key never signs anything.
# The code stays root-owned and read-only for the app user; var/ (Celery beat's
# schedule file) is the one place it writes.
RUN SECRET_KEY=collectstatic-only-not-a-real-key python manage.py collectstatic --noinput \
    && rm -rf var && mkdir -p var/keys && chown -R tandem:tandem var

USER tandem
EXPOSE 8000

# Workers: WEB_CONCURRENCY (gunicorn reads it itself). The timeout outlasts the
# database's statement timeout (30 s), so a slow query ends as an error, not a killed worker.
# No control socket: it would be written under a home directory the app user cannot write.
# config/gunicorn_conf.py leaves out the Server header gunicorn would send.
CMD ["gunicorn", "config.wsgi:application", "--config", "config/gunicorn_conf.py", "--bind", "0.0.0.0:8000", \
     "--worker-tmp-dir", "/dev/shm", \
     "--timeout", "60", "--graceful-timeout", "30", "--access-logfile", "-", "--no-control-socket"]
