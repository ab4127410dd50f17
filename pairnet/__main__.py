"""``python -m pairnet``."""

from pairnet.cli import main

main()
