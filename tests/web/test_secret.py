"""Without a configured key the service makes its own, keeps it, and never signs with a
placeholder."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from flask import Flask

from froi.web.core import secret


def test_a_key_is_made_once_and_kept(tmp_path: Path) -> None:
    first = Flask("a", instance_path=str(tmp_path / "instance"))
    first.config["SECRET_KEY"] = secret.UNSET
    secret.init_app(first)
    key = first.config["SECRET_KEY"]
    assert len(key) == 64 and key != secret.UNSET
    path = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = Flask("b", instance_path=str(tmp_path / "instance"))
    again.config["SECRET_KEY"] = secret.UNSET
    secret.init_app(again)
    assert again.config["SECRET_KEY"] == key  # sessions survive a restart


def test_a_configured_key_is_kept(tmp_path: Path) -> None:
    app = Flask("c", instance_path=str(tmp_path))
    app.config["SECRET_KEY"] = "from the environment"
    secret.init_app(app)
    assert app.config["SECRET_KEY"] == "from the environment"
    assert not (tmp_path / "secret_key").exists()


def test_an_unusable_key_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("short\n")
    with pytest.raises(RuntimeError, match="no usable secret key"):
        secret._read_key(tmp_path / "secret_key", wait=0.1)
