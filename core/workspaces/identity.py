"""Who a user is: the identity provider's issuer and the subject it gives the user (never the e-mail, which a
provider may let a user change or reuse). `User.id` is SHA-256 of both: the owner key of every stored row."""
from __future__ import annotations

import getpass
import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class User:
    """issuer: the provider's issuer URL ("local" for the one user of a loopback server and the CLI);
    subject: the provider's stable id of the user; name: what the pages show (not used for ownership)."""

    issuer: str
    subject: str
    name: str = ""

    @property
    def id(self) -> str:
        """64 hex characters, the same for the same (issuer, subject) and nothing else."""
        return hashlib.sha256(f"{self.issuer}\0{self.subject}".encode()).hexdigest()


def local_user() -> User:
    """The user of a loopback server and of the command line: this machine's account (the owner, too, of the
    runs in NEURALFACTORS_HOME from before workspaces)."""
    name = getpass.getuser()
    return User("local", name, name)
