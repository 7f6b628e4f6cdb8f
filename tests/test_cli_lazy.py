"""The CLI imports a command's module only when that command runs (`trustfill --help` stays fast)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from trustfill.cli.main import LAZY_COMMANDS, cli


@pytest.mark.parametrize("name", sorted(LAZY_COMMANDS))
def test_listed_help_is_the_commands_own(name):
    module, attr, listed = LAZY_COMMANDS[name]
    command = getattr(importlib.import_module(module), attr)
    assert command.get_short_help_str(limit=500) == listed
    assert command.name == name or name in cli.list_commands(None)


def test_help_imports_no_service_and_no_heavy_library():
    code = ("import sys\nfrom trustfill.cli.main import main\nassert main(['--help']) == 0\n"
            "heavy = [m for m in ('trustfill.service', 'trustfill.intake', 'sqlalchemy', 'openpyxl', 'pandas', "
            "'numpy', 'pydantic') if m in sys.modules]\nprint('HEAVY', heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in done.stdout, done.stdout
    for name in LAZY_COMMANDS:
        assert f"  {name} " in done.stdout


def test_a_command_imports_only_its_own_cli_module(tf_home):
    code = ("import sys\nfrom trustfill.cli.main import main\nmain(['kb', 'list'])\n"
            "print('CLI', sorted(m for m in sys.modules if m.startswith('trustfill.cli.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # kb's own subgroups (harvest, proposals) come with it; no other command's module does
    assert ("CLI ['trustfill.cli.common', 'trustfill.cli.harvest', 'trustfill.cli.kb', 'trustfill.cli.main', "
            "'trustfill.cli.proposals']") in done.stdout, done.stdout
