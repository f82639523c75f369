"""Lets `python -m fitshop_devstack` run the `devstack` command."""

from fitshop_devstack.cli import main

raise SystemExit(main())
