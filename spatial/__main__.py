from boundaries.cli import run

from .cli import main

run(main)
