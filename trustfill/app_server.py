"""``python -m trustfill.app_server run app.py ...``: Streamlit's command line, minus its network look-ups.

Streamlit finds "its" addresses by asking the network: ``net_util.get_external_ip`` fetches
http(s)://checkip.amazonaws.com, and ``get_internal_ip`` opens a UDP socket towards 8.8.8.8. It
does so at start-up when listening on every interface (to print the "Network/External URL"), and
again for each websocket whose Origin is not this host (to compare the Origin with those
addresses). Trustfill sends nothing anywhere, so both are replaced, before the server starts, by
answers that match no Origin: a foreign Origin is then refused without a look-up, and the start-up
banner shows the local URL only. ``trustfill app`` starts the server through this module;
``trustfill.app_pages.auth`` does the same once the app runs, for a plain ``streamlit run``.
"""

from __future__ import annotations


def _no_lookup() -> None:
    return None


def switch_off_network_lookups() -> None:
    from streamlit import net_util

    net_util.get_external_ip = _no_lookup
    net_util.get_internal_ip = _no_lookup


def main() -> None:
    switch_off_network_lookups()
    from streamlit.web.cli import main as streamlit_main

    streamlit_main(prog_name="streamlit")


if __name__ == "__main__":
    main()
