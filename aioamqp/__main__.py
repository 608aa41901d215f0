"""`python -m aioamqp`: the command line (see aioamqp.cli)."""

from .cli import main

raise SystemExit(main())
