"""`python -m qa.cli`: the `qa` command, as the console script runs it."""

from qa.cli.main import main

main()
