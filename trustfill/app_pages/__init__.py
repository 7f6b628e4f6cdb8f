"""Streamlit pages of the Trustfill app: thin views over trustfill.service.Service."""
