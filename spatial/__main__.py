import sys

try:
    from .cli import main

    code = main()
except KeyboardInterrupt:  # Ctrl-C: one line, the conventional exit code 128 + SIGINT
    sys.stderr.write("interrupted (Ctrl-C); nothing was written half-way\n")
    code = 130
sys.exit(code)
