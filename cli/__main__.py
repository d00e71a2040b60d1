"""`python -m cli ...` is `dre ...`."""
from cli.main import main

raise SystemExit(main())
