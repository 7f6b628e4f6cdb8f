"""`trustfill settings`: thresholds are settings, changed from the CLI through the service."""

from __future__ import annotations

import json

from click.testing import CliRunner

from answerers import MatchingEngine
from answerers.engine import _FUSION
from trustfill.cli.main import cli
from trustfill.service import Service


def _run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_defaults_follow_the_measured_fusion_file(tf_home):
    shown = _run("settings", "show")
    assert shown.exit_code == 0, shown.output
    measured = json.loads(_FUSION.read_text())["thresholds"]
    lexical = MatchingEngine([], Service().match_settings().model_copy(update={"semantic": False}))
    assert (lexical.settings.suggest_threshold, lexical.settings.review_threshold) == (
        measured["suggest"], measured["review"])
    # What `show` prints is what the engine uses (the semantic profile's own thresholds when installed).
    used = MatchingEngine([], Service().match_settings()).settings
    assert f"suggest threshold     {used.suggest_threshold:g}  (default)" in shown.output
    assert f"review threshold      {used.review_threshold:g}  (default)" in shown.output


def test_set_show_reset_round_trip(tf_home):
    out = _run("settings", "set", "--suggest", "91.5", "--review", "40", "--agreement", "1", "--no-semantic")
    assert out.exit_code == 0, out.output
    s = Service().match_settings()
    assert (s.suggest_threshold, s.review_threshold, s.suggest_agreement, s.semantic) == (91.5, 40, 1, False)
    shown = _run("settings", "show").output
    assert "91.5" in shown and "off" in shown
    # Changing one setting keeps the others; an unset one keeps following the defaults.
    _run("settings", "reset", "review")
    s = Service().match_settings()
    assert s.suggest_threshold == 91.5
    assert "review_threshold" not in Service().changed_match_settings()
    _run("settings", "reset")
    assert Service().changed_match_settings() == {}


def test_bad_values_are_one_line_errors(tf_home, capsys):
    from trustfill.cli.main import main

    for args in (["--suggest", "120"], ["--answerers", "nope"], []):
        assert main(["settings", "set", *args]) != 0
        err = capsys.readouterr().err
        assert "Error" in err and "Traceback" not in err
    assert main(["settings", "set", "--answerers", "nope"]) != 0
    assert "Error: Unknown or unavailable answerer(s): nope" in capsys.readouterr().err
    assert Service().changed_match_settings() == {}


def test_agreement_setting_changes_statuses(tf_home):
    from answerers import MatchSettings
    from knowledge.model import Fact

    facts = [Fact(id="rpo", question="What is your recovery point objective (RPO)?", answer="24 hours"),
             Fact(id="rto", question="What is your recovery time objective (RTO)?", answer="8 hours")]
    q = ["What is your RPO?"]
    loose = MatchingEngine(facts, MatchSettings(semantic=False, suggest_threshold=0, suggest_agreement=0)).match(q)
    # Nothing reaches an agreement above 1: the same match becomes "review", with the same confidence.
    never = MatchingEngine(facts, MatchSettings(semantic=False, suggest_threshold=0, suggest_agreement=1.0))
    never.settings = never.settings.model_copy(update={"suggest_agreement": 1.01})
    strict = never.match(q)
    assert loose[0].status == "suggested" and strict[0].status == "review"
    assert strict[0].score == loose[0].score
