"""The Settings page (AppTest): matching settings, limits and retention through the same service calls
as `trustfill settings|limits|retention`, for an admin who may change them and a viewer who may not."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest
from test_team_support import REPO, fast_hashes, make_team  # noqa: F401

from answerers import MatchingEngine
from trustfill.app_pages import common
from trustfill.roles import Actor
from trustfill.service import Service

PAGE = str(REPO / "trustfill" / "app_pages" / "settings.py")
SAVE_MATCHING = "FormSubmitter:settings_matching-Save matching settings"
SAVE_LIMITS = "FormSubmitter:settings_limits-Save limits"
SAVE_RETENTION = "FormSubmitter:settings_retention-Save retention"
ADMIN = Actor("admin1", "admin")


def _as(username: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.session_state["tf_user"] = username  # what the sign-in form stores
    at.run()
    assert not at.exception, at.exception
    return at


def _badges(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if "-badge[" in m.value]


def _default_suggest() -> float:
    svc = Service(actor=ADMIN)
    return MatchingEngine([], svc.match_settings()).settings.suggest_threshold


def test_admin_changes_the_suggest_threshold_and_resets_it(db_url):
    make_team()
    default = _default_suggest()
    at = _as("admin1")
    assert at.number_input(key="set_suggest").value == default
    assert at.button(key="set_match_reset").disabled  # nothing changed yet
    new = default + 7.5 if default <= 90 else default - 7.5
    at.number_input(key="set_suggest").set_value(new)
    at.button(key=SAVE_MATCHING).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Matching settings saved: suggest_threshold" in at.success[0].value
    svc = Service(actor=ADMIN)
    # Only the moved field is stored: the review threshold keeps following the profile's default.
    assert svc.changed_match_settings() == {"suggest_threshold": new}
    assert svc.match_settings().suggest_threshold == new
    assert at.number_input(key="set_suggest").value == new
    assert _badges(at)[0] == ":orange-badge[changed]" and _badges(at)[1] == ":gray-badge[default]"
    assert [r["actor"] for r in svc.audit_log(action="settings_change")] == ["admin1"]

    at.button(key="set_match_reset").click().run()
    assert not at.exception and not at.error
    assert "back to their defaults" in at.success[0].value
    assert svc.changed_match_settings() == {}
    assert at.number_input(key="set_suggest").value == default == _default_suggest()
    assert _badges(at)[0] == ":gray-badge[default]"


def test_admin_sets_a_limit_and_retention(db_url):
    make_team()
    at = _as("admin1")
    at.number_input(key="set_limit_max_rows").set_value(5_000)
    at.button(key=SAVE_LIMITS).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    svc = Service(actor=ADMIN)
    assert svc.stored_limits() == {"max_rows": 5_000} and svc.limits.max_rows == 5_000
    assert ":orange-badge[settings]" in _badges(at)

    at.checkbox(key="set_retention_off").uncheck()
    at.number_input(key="set_retention_days").set_value(90)
    at.button(key=SAVE_RETENTION).click().run()
    assert not at.exception and not at.error
    assert svc.retention_days() == 90 and at.success[0].value == "Retention: 90 days."


def test_invalid_values_are_refused_with_an_error_and_nothing_is_stored(db_url):
    make_team()
    at = _as("admin1")
    at.number_input(key="set_limit_max_rows").set_value(0)
    at.button(key=SAVE_LIMITS).click().run()
    assert not at.exception and not at.success
    assert "max_rows" in at.error[0].value.replace("\\", "")  # shown as plain text: Markdown escaped
    at.checkbox(key="set_retention_off").uncheck()
    at.number_input(key="set_retention_days").set_value(0)
    at.button(key=SAVE_RETENTION).click().run()
    assert not at.exception and not at.success
    assert "at least 1 day" in at.error[0].value
    svc = Service(actor=ADMIN)
    assert svc.stored_limits() == {} and svc.retention_days() is None


def test_a_viewer_reads_the_settings_but_cannot_change_them(db_url):
    make_team()
    Service(actor=ADMIN).set_match_settings(suggest_agreement=0.5)
    at = _as("viewer1")
    assert "needs the admin role" in at.info[0].value
    assert at.number_input(key="set_agreement").value == 0.5
    assert all(n.disabled for n in at.number_input) and at.toggle(key="set_semantic").disabled
    for key in (SAVE_MATCHING, SAVE_LIMITS, SAVE_RETENTION, "set_match_reset", "set_limits_reset"):
        assert at.button(key=key).disabled, key
    assert Service(actor=ADMIN).changed_match_settings() == {"suggest_agreement": 0.5}


def test_the_navigation_offers_settings_and_the_app_shows_one_success(tf_home):
    settings_page = "trustfill/app_pages/settings.py"
    assert all(any(p[0] == settings_page for pages in common.navigation_for(Actor("u", role)).values()
                   for p in pages) for role in ("viewer", "admin"))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()  # single-user mode: local admin
    at.switch_page("trustfill/app_pages/settings.py").run()
    assert not at.exception and at.title[0].value == "Settings"
    at.number_input(key="set_agreement").set_value(0.5)
    at.button(key=SAVE_MATCHING).click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == ["Matching settings saved: suggest_agreement = 0.5."]
    assert Service().changed_match_settings() == {"suggest_agreement": 0.5}
