"""The project installs quietly and its wheel carries every package, template and asset."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import REPO


def test_the_wheel_holds_every_package_and_the_reading_rooms_files(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "-w", str(tmp_path), str(REPO)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "would be ignored" not in proc.stdout + proc.stderr  # setuptools' data-dir warning
    wheel = next(tmp_path.glob("foia_archive-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = {str(p.parent.relative_to(REPO)) for p in REPO.glob("archive/**/__init__.py")}
    packages |= {"web"}
    assert packages <= {str(Path(n).parent) for n in names if n.endswith("__init__.py")}
    assert {"web/templates/page.html", "web/static/app.js", "web/static/style.css"} <= names
    assert not any(n.startswith(("tests/", "bench/", "scans/", "index/")) for n in names)
