"""`trustfill app`: start the review app (``streamlit run app.py``) on this machine.

Streamlit reads ``.streamlit/config.toml`` from the current folder, so the app runs from the folder
that holds app.py; where that folder has no config (an installed, non-editable copy), the same
privacy and safety settings are passed as flags instead.
"""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
from pathlib import Path

import click

from trustfill.errors import TrustfillError

ALL_INTERFACES = ("0.0.0.0", "::", "")  # noqa: S104 - addresses to recognise, not to bind
# What .streamlit/config.toml sets that matters for confidential data; used only when it is absent.
SAFE_FLAGS = [
    "--browser.gatherUsageStats", "false",
    "--server.enableXsrfProtection", "true",
    "--server.maxUploadSize", "50",
    "--client.showErrorDetails", "none",
    "--client.toolbarMode", "minimal",
    "--global.developmentMode", "false",
]


def app_folder() -> Path:
    """The folder holding app.py: the repository in a source or editable install, else site-packages."""
    here = Path(__file__).resolve().parents[2]
    if (here / "app.py").is_file():
        return here
    import importlib.util

    spec = importlib.util.find_spec("app")
    if spec is None or spec.origin is None:
        raise click.ClickException("app.py is not installed with Trustfill; reinstall it (pip install -e .).")
    return Path(spec.origin).parent


def server_options(port: int, address: str, extra: tuple[str, ...]) -> tuple[int, str, list[str]]:
    """The port and address the server will really use, and the other Streamlit options.

    ``--server.port N`` / ``--server.address A`` passed through to Streamlit (also as ``--opt=value``)
    win over ``--port``/``--address``; they are taken out of the pass-through so the command carries
    each option once and the banner names the port that serves.
    """
    rest: list[str] = []
    items = list(extra)
    i = 0
    while i < len(items):
        name, has_value, value = items[i].partition("=")
        if name in ("--server.port", "--server.address"):
            if not has_value:
                if i + 1 >= len(items):
                    raise TrustfillError(f"{name} needs a value.")
                value = items[i + 1]
                i += 1
            if name == "--server.address":
                address = value
            else:
                try:
                    port = int(value)
                except ValueError:
                    raise TrustfillError(f"{name} must be a port number, not '{value}'.") from None
        else:
            rest.append(items[i])
        i += 1
    if not 1 <= port <= 65535:
        raise TrustfillError(f"Port {port} is not a port number (1-65535).")
    return port, address, rest


def streamlit_command(folder: Path, port: int, address: str, extra: tuple[str, ...]) -> list[str]:
    port, address, rest = server_options(port, address, extra)
    # trustfill.app_server is Streamlit's own command line with its external-IP look-ups switched off.
    cmd = [sys.executable, "-m", "trustfill.app_server", "run", str(folder / "app.py"),
           "--server.headless", "true", "--server.port", str(port), "--server.address", address]
    if not (folder / ".streamlit" / "config.toml").is_file():
        cmd += SAFE_FLAGS
    return cmd + rest


def check_port_free(port: int, address: str) -> None:
    """Say so in one line when the port is taken, rather than let Streamlit fail after the banner."""
    host = "" if address in ALL_INTERFACES else address
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError:
        return  # an address Streamlit will have to judge
    for family, kind, proto, _name, sockaddr in infos[:1]:
        with socket.socket(family, kind, proto) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does: TIME_WAIT is fine
            try:
                s.bind(sockaddr)
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    return
                raise TrustfillError(f"Port {port} is already in use (another Trustfill app?). Stop that one or "
                                     f"choose another port: trustfill app --port {port + 1} "
                                     f"(./run.sh --port {port + 1}).") from None


def banner_url(port: int, address: str) -> str:
    if address in ALL_INTERFACES:
        return f"http://localhost:{port} (listening on all interfaces)"
    return f"http://{address}:{port}"


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--port", "-p", type=int, default=8501, show_default=True, help="Port to serve the app on.")
@click.option("--address", default="localhost", show_default=True,
              help="Interface to listen on. Use 0.0.0.0 to let other machines in (sign-in protects it).")
@click.argument("streamlit_args", nargs=-1, type=click.UNPROCESSED)
def app(port: int, address: str, streamlit_args: tuple[str, ...]) -> None:
    """Start the review app at http://ADDRESS:PORT (extra --server.* options go to Streamlit).

    --server.port and --server.address given there win over --port and --address."""
    folder = app_folder()
    port, address, _rest = server_options(port, address, streamlit_args)
    check_port_free(port, address)
    cmd = streamlit_command(folder, port, address, streamlit_args)
    where = os.environ.get("TRUSTFILL_HOME") or "the per-user data folder"
    click.echo(f"Trustfill app: {banner_url(port, address)}  (state in {where}; Ctrl-C stops it)", err=True)
    if os.name == "posix":
        # Streamlit takes this process's place: a stop signal (SIGTERM from a service manager or a
        # test) reaches the server itself. As a child it outlived the command, still serving.
        sys.stdout.flush()
        sys.stderr.flush()
        os.chdir(folder)
        os.execv(cmd[0], cmd)  # noqa: S606 - our own interpreter and arguments, no shell
    try:
        code = subprocess.call(cmd, cwd=folder)
    except KeyboardInterrupt:
        code = 130
    if code:
        raise SystemExit(code)


COMMANDS = [app]
