"""How every command ends when something is wrong: one line per problem on stderr and an exit code, or, for a bug,
its traceback and a line that says so.

Exit codes: 0 done; 1 the work failed or a backend is unavailable (and `status` found a stale endpoint); 2 a usage
mistake (an option, a request the function would refuse, a setting); 70 a bug in phase6.

`HandledGroup` is the command line's group class: every command registered on it, sub-groups included, ends
through `report`.
"""
from __future__ import annotations

import sys
import traceback

import typer
from typer.core import TyperGroup

from .config import ConfigError
from .state import StateError
from .storage import StorageError
from .warehouse import WarehouseError

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BUG = 70  # sysexits.h EX_SOFTWARE


class CommandError(Exception):
    """Ends a command: `error: PROBLEM` per problem on stderr, exit 1."""

    exit_code = EXIT_FAILED

    def __init__(self, *problems: str):
        super().__init__("; ".join(problems))
        self.problems = problems


class UsageMistake(CommandError):
    """The user asked for something the command refuses: exit 2."""

    exit_code = EXIT_USAGE


class HandledGroup(TyperGroup):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException, BrokenPipeError):  # typer ends these its own way
            raise
        except Exception as error:
            raise typer.Exit(report(error)) from error


def report(error: Exception) -> int:
    """Prints what went wrong; returns the exit code."""
    known = explained(error)
    if known is None:
        traceback.print_exc()
        say(f"unexpected {type(error).__name__}: this is a bug in phase6; the traceback above shows where")
        return EXIT_BUG
    for problem in known.problems:
        say(problem)
    return known.exit_code


def explained(error: Exception) -> CommandError | None:
    """A user mistake or an unavailable backend, as a CommandError; None for anything else (a bug)."""
    if isinstance(error, CommandError):
        return error
    if isinstance(error, ConfigError):
        return UsageMistake(str(error))
    if isinstance(error, (WarehouseError, StorageError, StateError, OSError)) or is_cloud_error(error):
        return CommandError(str(error) or type(error).__name__)
    return None


def is_cloud_error(error: Exception) -> bool:
    """A Google Cloud API or credentials error. The clients are imported only by the commands that use them, so
    their exception classes are looked up among the loaded modules: an error of theirs implies they are loaded."""
    classes = [getattr(sys.modules.get(module), name, None) for module, name in (
        ("google.api_core.exceptions", "GoogleAPIError"), ("google.auth.exceptions", "GoogleAuthError"))]
    return any(cls is not None and isinstance(error, cls) for cls in classes)


def say(problem: str) -> None:
    typer.echo(f"error: {problem}", err=True)
