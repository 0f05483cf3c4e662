# One image for the API, the scoring worker and the learner; docker-compose.yml picks the command.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY service ./service
COPY model ./model
RUN pip install --no-cache-dir . && useradd --system --no-create-home modq
USER modq
EXPOSE 8000
CMD ["modq", "api"]
