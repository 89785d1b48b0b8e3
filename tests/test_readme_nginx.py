"""The README's nginx example is the configuration the two-process test runs."""

from __future__ import annotations

import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def test_the_readme_shows_deploy_nginx_conf_verbatim():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```nginx\n(.*?)```", readme, flags=re.S)
    assert blocks == [(PROJECT / "deploy" / "nginx-rete.conf").read_text(encoding="utf-8")]
