"""``.ci/run`` runs exactly the uv pinned in pyproject.toml, installing it beside any other."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PINNED = re.fullmatch(
    r"==(\d+\.\d+\.\d+)",
    tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["uv"]["required-version"],
)


def script(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


def which_uv(path_first: Path, cache: Path) -> tuple[str, str]:
    env = {
        **{k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"},
        "PATH": f"{path_first}:{os.environ['PATH']}",
        "XDG_CACHE_HOME": str(cache),
    }
    done = subprocess.run(
        [str(REPO / ".ci" / "run"), "--which-uv"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    where, version = done.stdout.strip().splitlines()[-1].split()
    return where, version


def test_pyproject_pins_one_exact_uv_version() -> None:
    assert PINNED is not None


def test_a_machine_with_another_uv_gets_the_pinned_one(tmp_path: Path) -> None:
    # Fakes, no network: a uv of another version, and a python3 whose venv's pip "installs" uv.
    assert PINNED is not None
    pinned = PINNED.group(1)
    fakes = tmp_path / "bin"
    fakes.mkdir()
    script(fakes / "uv", 'echo "uv 0.1.0"\n')
    script(
        fakes / "python3",
        'test "$1 $2" = "-c import ensurepip" && exit 0\n'
        'test "$1 $2 $3" = "-m venv --clear" || exit 9\n'
        'mkdir -p "$4/bin"\n'
        f"cat > \"$4/bin/pip\" <<'PIP'\n"
        "#!/bin/sh\n"
        f'case "$*" in *"uv=={pinned}"*) ;; *) exit 8 ;; esac\n'
        f'printf \'#!/bin/sh\\necho "uv {pinned}"\\n\' > "$(dirname "$0")/uv"\n'
        'chmod +x "$(dirname "$0")/uv"\n'
        "PIP\n"
        'chmod +x "$4/bin/pip"\n',
    )

    where, version = which_uv(fakes, tmp_path / "cache")

    assert version == pinned
    assert where == str(tmp_path / "cache" / "contract-ci" / f"uv-{pinned}" / "bin" / "uv")


def test_a_machine_with_the_pinned_uv_installs_nothing(tmp_path: Path) -> None:
    assert PINNED is not None
    fakes = tmp_path / "bin"
    fakes.mkdir()
    script(fakes / "uv", f'echo "uv {PINNED.group(1)}"\n')
    script(fakes / "python3", "exit 7\n")  # installing anything would fail the run

    where, version = which_uv(fakes, tmp_path / "cache")

    assert (where, version) == (str(fakes / "uv"), PINNED.group(1))
    assert not (tmp_path / "cache").exists()


def test_a_python_without_venv_support_gets_python3_venv_first(tmp_path: Path) -> None:
    # Debian's python3 lacks ensurepip until python3-venv is installed: apt-get first, then the
    # venv. Fakes record the order; nothing is installed.
    assert PINNED is not None
    pinned = PINNED.group(1)
    fakes, calls, ready = tmp_path / "bin", tmp_path / "calls", tmp_path / "venv-ready"
    fakes.mkdir()
    script(fakes / "uv", 'echo "uv 0.1.0"\n')
    script(fakes / "id", "echo 0\n")
    script(fakes / "apt-get", f'echo "apt-get $*" >> {calls}\ntouch {ready}\n')
    # The venv's pip "installs" the pinned uv beside itself.
    pip = tmp_path / "pip"
    script(
        pip,
        f'printf \'#!/bin/sh\\necho "uv {pinned}"\\n\' > "$(dirname "$0")/uv"\n'
        'chmod +x "$(dirname "$0")/uv"\n',
    )
    script(
        fakes / "python3",
        f'if test "$1 $2" = "-c import ensurepip"; then test -e {ready}; exit; fi\n'
        f'echo "python3 $1 $2" >> {calls}\n'
        f'mkdir -p "$4/bin" && cp {pip} "$4/bin/pip"\n',
    )

    _, version = which_uv(fakes, tmp_path / "cache")

    assert version == pinned
    assert calls.read_text().splitlines() == [
        "apt-get update -qq",
        "apt-get install -y -qq --no-install-recommends python3-venv",
        "python3 -m venv",
    ]
