# fitshop — the commands of API.md. Everything installs what it needs on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python
DEVSTACK := .venv/bin/devstack
export FITSHOP_CACHE ?= $(HOME)/.cache/fitshop

.PHONY: help bootstrap servers up down dev ps start stop logs test lint typecheck bench keys lock

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

bootstrap: ## uv + .venv with the pinned dependencies (cached, idempotent)
	@bash services/devstack/bootstrap.sh

servers: bootstrap ## install/build the backing servers (PostgreSQL, Redis, NATS, FerretDB, helm)
	@$(DEVSTACK) install

up: bootstrap ## start the whole local stack in the background, seed demo data, wait until ready
	@$(DEVSTACK) up

down: bootstrap ## stop everything `make up` started (data stays in the state folder)
	@$(DEVSTACK) down

dev: up ## make up, then follow all logs until Ctrl-C, then make down
	@trap '$(DEVSTACK) down' EXIT INT TERM; $(DEVSTACK) logs

ps: bootstrap ## one JSON object: component -> {url, pid, ready}
	@$(DEVSTACK) ps

start: bootstrap ## start one component: make start c=NAME
	@$(DEVSTACK) start $(c)

stop: bootstrap ## stop one component: make stop c=NAME
	@$(DEVSTACK) stop $(c)

logs: bootstrap ## follow the logs of every component
	@$(DEVSTACK) logs

lint: bootstrap ## ruff on everything
	@.venv/bin/ruff check services tests bench

typecheck: bootstrap ## mypy --strict on the shared library, devstack, and every domain/application layer
	@MYPYPATH=$$(echo services/*/src | tr ' ' ':') .venv/bin/mypy --strict -p fitshop_common -p fitshop_devstack \
		$$(for d in services/*/src/*/domain services/*/src/*/application; do \
			[ -d "$$d" ] && echo "-p $$(basename $$(dirname $$d)).$$(basename $$d)"; done)

test: lint typecheck servers ## everything CI runs: lint, types, unit, integration, contract, fault, e2e, chart checks
	@.venv/bin/pytest -q -p no:cacheprovider --durations=15

bench: bootstrap servers ## benchmarks: print figures and ratios, write docs/benchmarks.md
	@$(PY) -m bench.run

keys: bootstrap ## rotate the JWT signing keys and rewrite gateway-config consistently
	@$(PY) -m edge.keys rotate

lock: ## re-resolve dependencies and re-pin requirements*.txt (versions + hashes, no URLs)
	@uv lock --quiet
	@uv export --quiet --format requirements-txt --all-packages --no-emit-workspace --no-dev --no-header -o requirements.txt
	@uv export --quiet --format requirements-txt --all-packages --no-emit-workspace --all-groups --no-header -o requirements-dev.txt
	@echo "pinned: requirements.txt, requirements-dev.txt"
