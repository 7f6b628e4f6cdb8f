"""`trustfill app`: start the review app (``streamlit run app.py``) on this machine.

Streamlit reads ``.streamlit/config.toml`` from the current folder, so the app runs from the folder
that holds app.py; where that folder has no config (an installed, non-editable copy), the same
privacy and safety settings are passed as flags instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

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


def streamlit_command(folder: Path, port: int, address: str, extra: tuple[str, ...]) -> list[str]:
    # trustfill.app_server is Streamlit's own command line with its external-IP look-ups switched off.
    cmd = [sys.executable, "-m", "trustfill.app_server", "run", str(folder / "app.py"),
           "--server.headless", "true", "--server.port", str(port), "--server.address", address]
    if not (folder / ".streamlit" / "config.toml").is_file():
        cmd += SAFE_FLAGS
    return cmd + list(extra)


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--port", "-p", type=int, default=8501, show_default=True, help="Port to serve the app on.")
@click.option("--address", default="localhost", show_default=True,
              help="Interface to listen on. Use 0.0.0.0 to let other machines in (sign-in protects it).")
@click.argument("streamlit_args", nargs=-1, type=click.UNPROCESSED)
def app(port: int, address: str, streamlit_args: tuple[str, ...]) -> None:
    """Start the review app at http://ADDRESS:PORT (extra --server.* options go to Streamlit)."""
    folder = app_folder()
    cmd = streamlit_command(folder, port, address, streamlit_args)
    where = os.environ.get("TRUSTFILL_HOME") or "the per-user data folder"
    click.echo(f"Trustfill app: http://{address}:{port}  (state in {where}; Ctrl-C stops it)", err=True)
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
