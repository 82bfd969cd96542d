"""People who sign in to the web workspace, and their API tokens (stored hashed)."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Role = Literal["viewer", "responder", "planner", "admin"]
# Each role can do everything the roles before it can.
ROLES: tuple[Role, ...] = ("viewer", "responder", "planner", "admin")


def role_at_least(role: str, needed: str) -> bool:
    """Whether ``role`` includes what ``needed`` may do."""
    names: tuple[str, ...] = ROLES
    return role in names and needed in names and names.index(role) >= names.index(needed)


class User(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str
    role: Role
    password_hash: str = Field(description="argon2id hash (never the password).")
    disabled: bool = False
    created_at: AwareDatetime
    # Bumped on a password change or disable: sessions signed with an older value end.
    session_version: int = 0


class ApiToken(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token_hash: str = Field(description="SHA-256 of the token (tokens are 256-bit random, so a fast hash suffices).")
    prefix: str = Field(description="The token's first characters, to tell tokens apart in lists.")
    username: str
    name: str = ""
    created_at: AwareDatetime
    revoked: bool = False
