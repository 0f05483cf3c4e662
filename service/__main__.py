"""`python -m service` is the `modq` command."""

from service.cli import main

main()
