"""Seed Job: run this service's `<package>.seed:main()` (sync or async), as the local stack
does, retrying until the service's stores accept it or the deadline passes. Seeds are
idempotent, so post-upgrade reruns change nothing."""

import asyncio
import importlib
import importlib.util
import inspect
import os
import sys
import time

module_name = f"{os.environ['SEED_PACKAGE']}.seed"
if importlib.util.find_spec(module_name) is None:
    print(f"{module_name} does not exist in this image: nothing to seed")
    sys.exit(0)

deadline = time.monotonic() + float(os.environ.get("WAIT_SECONDS", "300"))
while True:
    try:
        result = importlib.import_module(module_name).main()
        if inspect.isawaitable(result):
            asyncio.run(result)
        print(f"{module_name}: done", flush=True)
        break
    except Exception as exc:  # the stores may still be starting on first install
        if time.monotonic() > deadline:
            sys.exit(f"{module_name} failed: {type(exc).__name__}: {exc}")
        print(f"{module_name} not yet: {type(exc).__name__}: {exc}", flush=True)
        time.sleep(5)
