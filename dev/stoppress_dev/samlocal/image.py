"""The Lambda base image SAM CLI builds its invoke image on: AWS's own when a registry
serves it, else a stand-in built here from Debian packages.

SAM CLI runs a function in an image made ``FROM public.ecr.aws/lambda/python:3.13-x86_64``
with its runtime interface emulator and the function's layers added; with
``--skip-pull-image`` it uses whatever local image has that name. The stand-in gives it
what the emulator and the function need, in Lambda's layout:

- CPython 3.13 from Debian trixie (``debootstrap --variant=minbase``), also as
  ``/var/lang/bin/python3.13``;
- boto3 (the runtime's own copy, precompiled) and awslambdaric in ``/var/runtime``,
  pip in ``/var/lang/lib/python3.13/site-packages``, both on the interpreter's path;
- ``/var/runtime/bootstrap``, which the emulator starts: the function's code
  (``/var/task``) first on the path, then its layers (``/opt/python``), then the runtime.

It is labelled, so a later run knows it is the stand-in; an existing image is reused.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stoppress_dev.samlocal.commands import SamLocalError, run

IMAGE = "public.ecr.aws/lambda/python:3.13-x86_64"
STAND_IN_LABEL = "org.stoppress.lambda-stand-in"
PULL_TIMEOUT_S = 300
DEBIAN_SUITE = "trixie"
DEBIAN_MIRROR = os.environ.get("SAMLOCAL_DEBIAN_MIRROR", "http://deb.debian.org/debian")
PYTHON_VERSION = "3.13"
RUNTIME_PACKAGES = ("boto3", "awslambdaric")

BOOTSTRAP = """\
#!/bin/sh
# Started by the runtime interface emulator, as Lambda's python3.13 runtime starts:
# the function's code first on the path, then its layers, then the runtime's packages.
export AWS_EXECUTION_ENV=AWS_Lambda_python3.13
export PYTHONPATH=/var/task:/opt/python/lib/python3.13/site-packages:/opt/python
exec /var/lang/bin/python3.13 -m awslambdaric "${_HANDLER:-$AWS_LAMBDA_FUNCTION_HANDLER}"
"""

# What Lambda's image sets; the emulator adds the function's own variables.
IMAGE_CHANGES = (
    "ENV PATH=/var/lang/bin:/usr/local/bin:/usr/bin:/bin",
    "ENV LANG=C.UTF-8",
    "ENV TZ=:/etc/localtime",
    "ENV LAMBDA_TASK_ROOT=/var/task",
    "ENV LAMBDA_RUNTIME_DIR=/var/runtime",
    "WORKDIR /var/task",
    'ENTRYPOINT ["/var/runtime/bootstrap"]',
    f"LABEL {STAND_IN_LABEL}=debian-{DEBIAN_SUITE}",
)


def _docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        ["docker", *args],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def require_docker() -> None:
    """Fail clearly when there is no Docker daemon to talk to."""
    if shutil.which("docker") is None:
        raise SamLocalError("docker not found: install Docker (Debian: apt-get install docker.io)")
    done = _docker("info", "--format", "{{.ServerVersion}}")
    if done.returncode != 0:
        raise SamLocalError(f"the Docker daemon is not running: {done.stderr.strip()[:300]}")


def _is_stand_in(image: str) -> bool | None:
    """None when there is no such image; else whether it is the stand-in."""
    done = _docker(
        "image", "inspect", "--format", f'{{{{index .Config.Labels "{STAND_IN_LABEL}"}}}}', image
    )
    if done.returncode != 0:
        return None
    return done.stdout.strip() not in ("", "<no value>")


def ensure_base_image() -> str:
    """Make sure ``IMAGE`` exists locally; say which image it is."""
    found = _is_stand_in(IMAGE)
    if found is not None:
        kind = "the stand-in built from Debian packages" if found else "AWS's image"
        return f"{IMAGE}: reusing the local image ({kind})"
    started = time.monotonic()
    try:
        pulled = _docker("pull", IMAGE, timeout=PULL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        reason = f"no answer within {PULL_TIMEOUT_S} s"
    else:
        if pulled.returncode == 0:
            return f"{IMAGE}: pulled AWS's image in {time.monotonic() - started:.0f} s"
        reason = (pulled.stderr.strip().splitlines() or ["docker pull failed"])[-1]
    print(
        f"{IMAGE} cannot be pulled ({reason}); building a stand-in from Debian packages "
        f"(debootstrap {DEBIAN_SUITE}, Python {PYTHON_VERSION}, boto3, awslambdaric)",
        flush=True,
    )
    started = time.monotonic()
    build_stand_in()
    return (
        f"{IMAGE}: built a stand-in from Debian packages in {time.monotonic() - started:.0f} s "
        "(no registry serves AWS's image here)"
    )


def _pip_target(target: Path, packages: tuple[str, ...]) -> None:
    """Install wheels for CPython 3.13 on x86_64 into ``target`` (no interpreter needed)."""
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--target",
            str(target),
            "--python-version",
            PYTHON_VERSION,
            "--implementation",
            "cp",
            "--platform",
            "manylinux2014_x86_64",
            "--only-binary=:all:",
            *packages,
        ],
        what=f"installing {', '.join(packages)} for Python {PYTHON_VERSION}",
        quiet=True,
    )


def _lay_out_runtime(root: Path) -> None:
    python = root / "usr" / "bin" / f"python{PYTHON_VERSION}"
    if not python.exists():
        raise SamLocalError(f"debootstrap {DEBIAN_SUITE} gave no python{PYTHON_VERSION}")
    lang_bin = root / "var" / "lang" / "bin"
    lang_bin.mkdir(parents=True)
    for name in (f"python{PYTHON_VERSION}", "python3", "python"):
        (lang_bin / name).symlink_to(f"/usr/bin/python{PYTHON_VERSION}")
    runtime = root / "var" / "runtime"
    lang_site = root / "var" / "lang" / "lib" / f"python{PYTHON_VERSION}" / "site-packages"
    _pip_target(runtime, RUNTIME_PACKAGES)
    _pip_target(lang_site, ("pip",))
    # After the standard library on the interpreter's path, as on Lambda.
    (root / "usr" / "lib" / "python3" / "dist-packages" / "lambda-runtime.pth").write_text(
        f"/var/lang/lib/python{PYTHON_VERSION}/site-packages\n/var/runtime\n", encoding="utf-8"
    )
    # Lambda's Python is not Debian's to manage: pip may install for the build.
    (root / "usr" / "lib" / f"python{PYTHON_VERSION}" / "EXTERNALLY-MANAGED").unlink(
        missing_ok=True
    )
    bootstrap = runtime / "bootstrap"
    bootstrap.write_text(BOOTSTRAP, encoding="utf-8")
    bootstrap.chmod(0o755)
    for directory in ("var/task", "opt"):
        (root / directory).mkdir(parents=True, exist_ok=True)
    for directory in ("usr/share/doc", "usr/share/man", "usr/share/locale", "var/cache/apt"):
        shutil.rmtree(root / directory, ignore_errors=True)
        (root / directory).mkdir(parents=True, exist_ok=True)
    # Precompiled, as the runtime's own packages are on Lambda.
    run(
        [
            "chroot",
            str(root),
            f"/usr/bin/python{PYTHON_VERSION}",
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "/var/runtime",
            f"/var/lang/lib/python{PYTHON_VERSION}/site-packages",
        ],
        what="precompiling the runtime's packages",
        quiet=True,
    )


def _import(root: Path) -> None:
    cmd = ["docker", "import"]
    for change in IMAGE_CHANGES:
        cmd += ["--change", change]
    cmd += ["-", IMAGE]
    print(f"$ tar -C {root} -c . | {' '.join(cmd)}", flush=True)
    tar = subprocess.Popen(  # noqa: S603
        ["tar", "--numeric-owner", "-C", str(root), "-c", "."],  # noqa: S607
        stdout=subprocess.PIPE,
    )
    imported = subprocess.run(  # noqa: S603
        cmd, stdin=tar.stdout, capture_output=True, text=True, check=False
    )
    if tar.stdout is not None:
        tar.stdout.close()
    if tar.wait() != 0 or imported.returncode != 0:
        raise SamLocalError(f"docker import failed: {imported.stderr.strip()[:500]}")


def build_stand_in() -> None:
    """Build the stand-in image from Debian packages and import it as ``IMAGE``."""
    if os.geteuid() != 0:
        raise SamLocalError("building the stand-in image needs root (debootstrap, chroot)")
    if shutil.which("debootstrap") is None:
        raise SamLocalError("debootstrap not found (Debian: apt-get install debootstrap)")
    with tempfile.TemporaryDirectory(prefix="samlocal-rootfs-", dir="/var/tmp") as tmp:
        root = Path(tmp) / "rootfs"
        run(
            [
                "nice",
                "debootstrap",
                "--variant=minbase",
                "--include=python3,ca-certificates",
                DEBIAN_SUITE,
                str(root),
                DEBIAN_MIRROR,
            ],
            what=f"debootstrap {DEBIAN_SUITE}",
            quiet=True,
        )
        _lay_out_runtime(root)
        _import(root)
