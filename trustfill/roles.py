"""Who may do what. Enforced in the service layer, so the CLI and the app obey the same rules."""

from __future__ import annotations

from dataclasses import dataclass

from trustfill.errors import PermissionDenied, TrustfillError

ROLES = ("viewer", "editor", "approver", "admin")

# Each permission names the lowest role that has it; roles are ordered, each has all below it.
PERMISSIONS = {
    "read": "viewer",
    "upload": "editor",
    "match": "editor",
    "edit_answer": "editor",
    "propose_fact": "editor",
    "export": "editor",
    "approve": "approver",
    "edit_fact": "approver",
    "import_kb": "approver",
    "manage_users": "admin",
    "settings": "admin",
    "delete_questionnaire": "admin",
    "purge": "admin",
    "backup": "admin",
    "read_audit": "approver",
}

DESCRIPTIONS = {
    "viewer": "read questionnaires, answers and the knowledge base",
    "editor": "sales engineer: upload, run matching, edit draft answers, propose facts, export",
    "approver": "security lead: approve answers, edit, import and approve facts",
    "admin": "users, settings, deletion, backup and restore",
}


def check_role(role: str) -> str:
    """The role name, normalised; a clear error for anything that is not one of ROLES."""
    value = (role or "").strip().lower()
    if value not in ROLES:
        raise TrustfillError(f"Unknown role '{role}'. Roles: {', '.join(ROLES)} "
                             "(each has the rights of those before it).")
    return value


def permissions_of(role: str) -> list[str]:
    return [p for p in PERMISSIONS if Actor("", role).can(p)]


@dataclass(frozen=True)
class Actor:
    username: str
    role: str
    email: str = ""
    local_mode: bool = False  # the single-user localhost mode, before any account exists

    def can(self, permission: str) -> bool:
        needed = PERMISSIONS[permission]
        return self.role in ROLES and ROLES.index(self.role) >= ROLES.index(needed)

    def require(self, permission: str, what: str = "") -> None:
        if not self.can(permission):
            needed = PERMISSIONS[permission]
            if self.role not in ROLES:
                raise PermissionDenied(f"Sign in first: you may not {what or permission.replace('_', ' ')} "
                                       "without an account.")
            raise PermissionDenied(
                f"{self.username} ({self.role}) may not {what or permission.replace('_', ' ')}: "
                f"that needs the {needed} role or higher. Ask an admin to change your role.")


LOCAL_ADMIN = Actor("local", "admin", local_mode=True)
# Nobody signed in yet: may do nothing but authenticate.
ANONYMOUS = Actor("anonymous", "")
