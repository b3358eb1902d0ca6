"""The key that signs session cookies (and so the CSRF token they carry).

A deployment sets ``FROI_SECRET_KEY`` (or ``SECRET_KEY`` in ``instance/config.py``).
Without one, the service makes a random key on its first start and keeps it in the
instance folder (``instance/secret_key``, readable by its owner only), so the embedded
default is safe out of the box and sessions survive a restart.  Several workers starting
at once agree: the file is created exclusively and whoever loses the race reads it.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from flask import Flask

#: The placeholder the factory starts from; never used to sign anything.
UNSET = "unset"


def init_app(app: Flask) -> None:
    """Give ``app`` a real secret key unless its configuration already set one."""
    if app.config.get("SECRET_KEY") not in (None, "", UNSET):
        return
    app.config["SECRET_KEY"] = instance_key(Path(app.instance_path) / "secret_key")


def instance_key(path: Path) -> str:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key


def _read_key(path: Path, wait: float = 2.0) -> str:
    """The key another worker made (waiting briefly if it is still writing it)."""
    deadline = time.monotonic() + wait
    while True:
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= 32:
            return key
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} holds no usable secret key; delete it to make a new one")
        time.sleep(0.05)
