"""`python -m localcloud --help`."""

from localcloud.cli import main

raise SystemExit(main())
