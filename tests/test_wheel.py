"""The wheel works outside the checkout: built, installed into a fresh virtualenv, and run from an empty folder.

The new virtualenv sees the test environment's installed libraries through a `.pth` line (so no network is
needed) but not the checkout: `qa` and its data (templates, static files, terminology, parties, background
text) come from the wheel alone.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

STATEMENT = """Statement by Ireland

1. Ireland condemns the Russian Federation's invasion of Ukraine and its threats to use nuclear weapons.

2. Ireland calls on all States to join the Treaty on the Prohibition of Nuclear Weapons.
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a fresh virtualenv with the wheel (and nothing of the checkout) installed."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a copy, so the build leaves nothing in the checkout
    for name in ("qa", "web", "corpus"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    wheels = work / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(wheels), str(source)], check=True, cwd=work)
    (wheel,) = wheels.glob("npt_qa-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # The libraries this test runs with, without the checkout's editable install (a .pth line adds a folder to
    # sys.path; the .pth files inside it, such as the editable finder, are not run).
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "-q", str(wheel)], check=True)
    return venv / "bin"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_") and k != "PYTHONPATH"}
    env["QA_ASK_VIA_SERVER"] = "0"
    env["QA_CACHE_DIR"] = os.environ.get("QA_CACHE_DIR", str(Path.home() / ".cache" / "npt-qa"))  # the model
    return env


def test_the_wheel_runs_from_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    qa = str(installed / "qa")
    here = tmp_path / "empty"
    here.mkdir()
    env = _env()

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([qa, *args], check=False, cwd=here, env=env, capture_output=True, text=True,
                              timeout=600)
        assert (proc.returncode == 0) == ok, proc.stdout + proc.stderr
        return proc

    where = subprocess.run([str(installed / "python"), "-c", "import qa.resources as r; print(r.data_file('x'))"],
                           cwd=here, env=env, capture_output=True, text=True, check=True).stdout
    assert str(installed.parent) in where and str(ROOT) not in where  # the data comes from the wheel

    no_corpus = run("ask", "What did Ireland say about Ukraine?", ok=False)
    assert "qa init" in no_corpus.stderr and "Traceback" not in no_corpus.stderr

    run("init", "c")
    (here / "statement.txt").write_text(STATEMENT, encoding="utf-8")
    run("add", "statement.txt", "--title", "T", "--submitted-by", "Ireland", "--corpus-dir", "c")
    run("index", "--corpus-dir", "c")
    answer = run("ask", "What did Ireland say about Ukraine?", "-k", "1", "--corpus-dir", "c").stdout
    assert "Ireland" in answer and "Ukraine" in answer

    port = _free_port()
    server = subprocess.Popen([qa, "serve", "--corpus-dir", "c", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=here, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        page = ""
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/?q=Ukraine", timeout=30) as r:
                    page = r.read().decode("utf-8")
                    css = urllib.request.urlopen(f"http://127.0.0.1:{port}/static/app.css", timeout=30).status
                break
            except OSError:
                time.sleep(0.5)
        assert page, server.stderr.read() if server.stderr and server.poll() is not None else "no answer"
        assert "Ireland" in page and "</html>" in page and css == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
