"""``python -m partybuild_rules``."""

from .cli import main

raise SystemExit(main())
