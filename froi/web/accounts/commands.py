"""``flask --app app create-user EMAIL --organisation NAME --role ROLE``.

The password is read from standard input (one line; asked for twice, hidden, when a
person types it at a terminal) so it never appears in the shell's history or the process
list, and it must pass the same rule as the pages' (:mod:`.passwords`).  With
``--create-organisation`` a new organisation of that name is created first.
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from ..core import models
from ..core.audit import Actor, record
from ..core.db import database
from .access import ROLE_WORDS
from .passwords import RULE
from .store import AccountProblem, create_user, find_organisation

COMMAND_LINE = "command line"


def read_password() -> str:
    if sys.stdin.isatty():
        value: str = click.prompt("Password", hide_input=True, confirmation_prompt="Type it again")
        return value
    return sys.stdin.readline().rstrip("\r\n")


@click.command("create-user")
@click.argument("email")
@click.option("--organisation", "organisation_name", required=True, help="its organisation")
@click.option("--role", type=click.Choice(models.ROLES), default=models.ANALYST, show_default=True)
@click.option(
    "--create-organisation", is_flag=True, help="create the organisation if it does not exist"
)
@with_appcontext
def create_user_command(
    email: str, organisation_name: str, role: str, create_organisation: bool
) -> None:
    """Create a user; the password is read from standard input."""
    password = read_password()
    if not password:
        raise click.ClickException("no password was given on standard input")
    with database().sessions() as session:
        organisation = find_organisation(session, organisation_name)
        name = organisation_name.strip()
        if organisation is None:
            if not create_organisation:
                raise click.ClickException(
                    f"there is no organisation '{name}'; check the name, or add "
                    "--create-organisation to create it"
                )
            if not name or len(name) > 200:
                raise click.ClickException("an organisation's name has 1 to 200 characters")
            organisation = models.Organisation(name=name)
            session.add(organisation)
            session.flush()
            record(
                session,
                "organisation.created",
                f"Organisation '{name}' created",
                object_type="organisation",
                object_id=organisation.id,
                actor=Actor(None, COMMAND_LINE, organisation.id),
            )
        try:
            user = create_user(session, organisation, email, role, password)
        except AccountProblem as problem:
            hint = f" ({RULE})" if "password" in str(problem).lower() else ""
            raise click.ClickException(f"{problem}{hint}") from None
        record(
            session,
            "user.created",
            f"{user.email} added as {ROLE_WORDS[role].lower()}",
            object_type="user",
            object_id=user.id,
            after={"email": user.email, "role": role},
            actor=Actor(None, COMMAND_LINE, organisation.id),
        )
        session.commit()
        click.echo(f"Created {user.email}, {ROLE_WORDS[role].lower()} of '{organisation.name}'.")
