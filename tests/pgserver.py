"""A throwaway PostgreSQL cluster for the store tests (standard library only).

Used two ways:

* ``.ci/run`` starts one before ``make test``::

      eval "$(python3 tests/pgserver.py start /tmp/footprints-pg)"   # exports FOOTPRINTS_TEST_PG
      python3 tests/pgserver.py stop /tmp/footprints-pg

* the ``pg_url`` fixture (tests/test_store*.py) uses ``$FOOTPRINTS_TEST_PG``
  when set, else starts its own cluster with :func:`start` for the session.

The cluster is Debian's ``postgresql`` (``apt-get install -y postgresql``):
``initdb`` into a temporary folder, trust authentication, listening on
127.0.0.1 and on a Unix socket in that folder only.  When run as root the
server runs as the ``postgres`` user (PostgreSQL refuses root).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

HOW_TO = ("PostgreSQL is needed for the PostgreSQL store tests: install Debian's server "
          "(`apt-get install -y postgresql`, which gives /usr/lib/postgresql/<version>/bin/initdb), "
          "or start any server and set FOOTPRINTS_TEST_PG=postgresql://user@127.0.0.1:5432/postgres "
          "(a role allowed to CREATE DATABASE). `.ci/run` does the install and starts a cluster.")
USER = "footprints"


def bin_dir() -> Path | None:
    """Folder of ``initdb``/``pg_ctl`` (newest Debian version first), or ``None``."""
    for found in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True):
        if Path(found, "initdb").exists():
            return Path(found)
    which = shutil.which("initdb")
    return Path(which).parent if which else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def start(folder: str | Path, port: int | None = None) -> str:
    """Initialise and start a cluster in ``folder``; its URL (database ``postgres``)."""
    bins = bin_dir()
    if bins is None:
        raise RuntimeError(HOW_TO)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "data"
    port = port or _free_port()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    if not (data / "PG_VERSION").exists():
        subprocess.run(_as_server_user([str(bins / "initdb"), "-D", str(data), "-A", "trust", "-U", USER,
                                        "-E", "UTF8", "--no-locale"]), check=True, stdout=subprocess.DEVNULL)
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=on -c max_connections=60"
    subprocess.run(_as_server_user([str(bins / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"),
                                    "-o", opts, "-w", "-t", "60", "start"]), check=True, stdout=subprocess.DEVNULL)
    (folder / "port").write_text(str(port))
    url = f"postgresql://{USER}@127.0.0.1:{port}/postgres"
    deadline = time.time() + 30
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return url
        time.sleep(0.2)
    raise RuntimeError(f"PostgreSQL did not listen on 127.0.0.1:{port}; see {folder / 'server.log'}")


def stop(folder: str | Path, mode: str = "fast") -> None:
    """Stop the cluster in ``folder`` (if running)."""
    bins = bin_dir()
    data = Path(folder) / "data"
    if bins is None or not (data / "postmaster.pid").exists():
        return
    subprocess.run(_as_server_user([str(bins / "pg_ctl"), "-D", str(data), "-m", mode, "-w", "stop"]),
                   check=False, stdout=subprocess.DEVNULL)


def restart(folder: str | Path) -> str:
    """Start the cluster in ``folder`` again on its old port (after :func:`stop`)."""
    port = int((Path(folder) / "port").read_text())
    return start(folder, port)


if __name__ == "__main__":  # pragma: no cover - used by .ci/run
    action, where = sys.argv[1], sys.argv[2]
    if action == "start":
        print(f"export FOOTPRINTS_TEST_PG={start(where)}")
    elif action == "stop":
        stop(where)
    else:
        sys.exit(f"usage: {sys.argv[0]} start|stop FOLDER")
