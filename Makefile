# Thin wrappers; ./dev does the work so the README's commands need no make.
.DEFAULT_GOAL := help
.PHONY: help run test lint format bench

help: ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

run: ## Set up .venv and run API + worker (+ embedded Redis without REDIS_URL)
	./dev run

test: ## Set up .venv, lint, type-check and run the tests
	./dev test

lint: ## ruff check and format check
	./dev setup && .venv/bin/ruff check service model tests && .venv/bin/ruff format --check service model tests

format: ## ruff format
	./dev setup && .venv/bin/ruff format service model tests

bench: ## Run the benchmarks (bench/): one table, bench/results/latest.json, plots
	./dev setup && .venv/bin/python -m bench
