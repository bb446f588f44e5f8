"""``sam build`` with the Lambda image's own Python 3.13.

SAM builds python3.13 functions, and the layer's Makefile builds the layer, with
``python3.13`` from PATH, and refuses any other version. Rather than depend on the
machine having one (pyenv, a distribution package), the build uses the interpreter the
functions will run on: ``python3.13`` on PATH is a small script that runs the base
image's ``/var/lang/bin/python3.13`` in a container, with the project and the
temporary directory mounted at their own paths. This is what ``sam build
--use-container`` does with SAM's build images, which need a registry; the base image
is here already.

pip inside the container reaches the package index as the host does: the host's CA
bundle (an intercepting proxy's CA may be in it) and its proxy and index variables are
passed in.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from pathlib import Path

from stoppress_dev.samlocal.commands import run, tool
from stoppress_dev.samlocal.image import IMAGE, PYTHON_VERSION
from stoppress_dev.template import PROJECT_ROOT

SHIM_DIR = PROJECT_ROOT / ".aws-sam" / "samlocal-bin"
HOST_CA_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")
PASSED_ENV = (
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_TRUSTED_HOST",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)
CONTAINER_CA = "/etc/samlocal-host-ca.crt"


def shim_script() -> str:
    """The ``python3.13`` that runs the image's interpreter in a container."""
    tmp = tempfile.gettempdir()
    mounts = [f"{PROJECT_ROOT}:{PROJECT_ROOT}", f"{tmp}:{tmp}"]
    args = ["--network", "host", "-e", "HOME=/tmp"]
    bundle = next((b for b in HOST_CA_BUNDLES if Path(b).is_file()), None)
    if bundle is not None:
        mounts.append(f"{bundle}:{CONTAINER_CA}:ro")
        args += ["-e", f"PIP_CERT={CONTAINER_CA}", "-e", f"SSL_CERT_FILE={CONTAINER_CA}"]
    for name in PASSED_ENV:
        args += ["-e", name]
    for mount in mounts:
        args += ["-v", mount]
    args += ["--entrypoint", f"/var/lang/bin/python{PYTHON_VERSION}", IMAGE]
    quoted = " ".join(shlex.quote(a) for a in args)
    return (
        "#!/bin/sh\n"
        f"# python{PYTHON_VERSION} for sam build: the Lambda base image's own interpreter.\n"
        'exec docker run --rm -i --user "$(id -u):$(id -g)" -w "$PWD" '
        f'{quoted} "$@"\n'
    )


def sam_build() -> None:
    """``sam build`` (no cache: the check proves a build from scratch works)."""
    SHIM_DIR.mkdir(parents=True, exist_ok=True)
    shim = SHIM_DIR / f"python{PYTHON_VERSION}"
    shim.write_text(shim_script(), encoding="utf-8")
    shim.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{SHIM_DIR}{os.pathsep}{os.environ.get('PATH', '')}",
        "SAM_CLI_TELEMETRY": "0",
    }
    # pyenv would otherwise answer for python3.13 ahead of nothing: keep it out of the way.
    env.pop("PYENV_VERSION", None)
    print(
        f"python{PYTHON_VERSION} for sam build: {IMAGE}'s, run by {shim.relative_to(PROJECT_ROOT)}"
    )
    run([tool("sam"), "build", "--no-cached", "--parallel"], env=env, what="sam build")
