"""Who is using the app. (The team workflow replaces this single-user stand-in with sign-in.)"""

from __future__ import annotations

from trustfill.roles import LOCAL_ADMIN, Actor


def signed_in_actor() -> Actor:
    """Return the signed-in actor, rendering a sign-in form and calling st.stop() when there is none."""
    return LOCAL_ADMIN
