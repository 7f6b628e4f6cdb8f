"""Users: accounts and roles (admins). Run as a page by app.py; ``page()`` is importable as well."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from trustfill.errors import TrustfillError
from trustfill.roles import DESCRIPTIONS, ROLES


def _service():
    from trustfill.app_pages.common import service

    return service()


def _add_form(svc, first: bool) -> None:
    with st.form("users_add", clear_on_submit=True):
        st.subheader("Create the first admin account" if first else "Add an account")
        c = st.columns(3)
        username = c[0].text_input("Username", key="users_new_name")
        email = c[1].text_input("Email (single sign-on matches by it)", key="users_new_email")
        role = c[2].selectbox("Role", ROLES, index=ROLES.index("admin") if first else 0, key="users_new_role",
                              disabled=first, help="; ".join(f"{r}: {d}" for r, d in DESCRIPTIONS.items()))
        c = st.columns(3)
        password = c[0].text_input("Password", type="password", key="users_new_pw")
        again = c[1].text_input("Password again", type="password", key="users_new_pw2")
        sso_only = c[2].checkbox("Single sign-on only (no password)", key="users_new_sso")
        if st.form_submit_button("Add account", type="primary"):
            if not sso_only and password != again:
                st.error("The two passwords differ.")
                return
            try:
                svc.add_user(username, "admin" if first else role, email=email,
                             password=None if sso_only else password)
            except TrustfillError as exc:
                st.error(str(exc))
                return
            if first:
                st.success("Admin account created: single-user mode is now off. Sign in with it.")
                st.rerun()
            st.success(f"Added {username}.")


def page() -> None:
    st.title("Users")
    svc = _service()
    if svc.actor.local_mode:
        st.info("No accounts exist yet: Trustfill runs in single-user mode on this computer only. "
                "Create the first admin account to turn on sign-in.")
        _add_form(svc, first=True)
        return
    try:
        users = svc.list_users()
    except TrustfillError as exc:
        st.error(str(exc))
        return
    st.dataframe(pd.DataFrame([{
        "Username": u["username"], "Role": u["role"], "Email": u["email"],
        "State": "disabled" if u["disabled"] else "active", "Sign-in": "SSO" if u["sso_only"] else "password",
    } for u in users]), hide_index=True, width="stretch")

    st.subheader("Change an account")
    c = st.columns([3, 2, 2, 2])
    names = [u["username"] for u in users]
    who = c[0].selectbox("Account", names, key="users_pick")
    current = next((u for u in users if u["username"] == who), None)
    if current:
        role = c[1].selectbox("Role", ROLES, index=ROLES.index(current["role"]), key=f"users_role_{who}")
        try:
            if c[2].button("Save role", key="users_save_role", disabled=role == current["role"]):
                svc.set_role(who, role)
                st.rerun()
            label = "Enable" if current["disabled"] else "Disable"
            if c[3].button(label, key="users_toggle"):
                (svc.enable_user if current["disabled"] else svc.disable_user)(who)
                st.rerun()
        except TrustfillError as exc:
            st.error(str(exc))
    _add_form(svc, first=False)


if __name__ == "__main__":
    page()
