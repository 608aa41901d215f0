"""The wheel and sdist carry the generated protocol layer, and the wheel installs alone."""

import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_wheel_and_sdist_install_with_no_dependency(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    names = zipfile.ZipFile(wheel).namelist()
    assert "aioamqp/_generated/methods.py" in names and "aioamqp/py.typed" in names
    assert any(n.endswith("/_generated/methods.py") for n in tarfile.open(sdist).getnames())

    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    installed = subprocess.run(
        [python, "-m", "pip", "list", "--format=freeze"], check=True, capture_output=True, text=True
    ).stdout.split()
    assert {line.split("==")[0].lower() for line in installed} <= {"aioamqp", "pip", "setuptools"}
    probe = "import aioamqp, aioamqp._generated.methods as m; print(aioamqp.__version__, len(m.METHODS))"
    out = subprocess.run(
        [python, "-c", probe], check=True, capture_output=True, text=True, cwd=tmp_path
    ).stdout
    assert out.split()[1] == "64"
