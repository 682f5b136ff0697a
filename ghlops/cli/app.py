"""The click group, its options and the error boundary every command runs inside.

This is the only layer that prints. Every expected failure is a GhlopsError, shown as one
``Error:`` message and exit code 1; anything else is a bug, shown as a short internal-error
message (the traceback only with --debug).
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ghlops import __version__
from ghlops.cli.output import echo, use_color
from ghlops.errors import GhlopsError, ManifestError
from ghlops.escape import terminal
from ghlops.secrets import mask_text, scrub

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a command cut off by `| head`
EXIT_CHANGES = 2
EXIT_PARTIAL = 3


class ScrubbingFormatter(logging.Formatter):
    """Log lines without the secrets this process knows, and without control characters."""

    def format(self, record: logging.LogRecord) -> str:
        return one_line(scrub(super().format(record)))


@dataclass
class Context:
    directory: Path
    debug: bool
    color: bool


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped (a key or a name written
    with "\\n" or "\\e" in YAML must not break the one-line-per-problem output or drive the
    terminal)."""
    return terminal(text)


_GLOBAL_FLAGS = frozenset({"--debug", "--no-color"})
_GLOBAL_WITH_VALUE = frozenset({"-C", "--directory"})


def hoist_global_options(args: list[str]) -> list[str]:
    """``args`` with the global options moved before the command, wherever they were written.

    Terraform users write ``ghlops plan --no-color``; click only reads a group's options before
    the command. Everything after ``--`` is left alone.
    """
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest += args[index:]
            break
        if arg in _GLOBAL_FLAGS:
            front.append(arg)
        elif arg in _GLOBAL_WITH_VALUE and index + 1 < len(args):
            front += args[index : index + 2]
            index += 1
        elif arg.startswith("--directory=") or (arg.startswith("-C") and len(arg) > 2):
            front.append(arg)
        else:
            rest.append(arg)
        index += 1
    return front + rest


class GhlopsGroup(click.Group):
    """A click group with one error boundary for every command; global options go anywhere."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if ctx.parent is None:
            args = hoist_global_options(list(args))
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except ManifestError as exc:
            n = len(exc.problems)
            echo(f"Error: {n} problem{'s' if n != 1 else ''} in the manifests:", err=True)
            for problem in exc.problems:
                echo(f"  {one_line(str(problem))}", err=True)
            ctx.exit(EXIT_ERROR)
        except GhlopsError as exc:
            lines = mask_text(str(exc)).split("\n")  # its own lines; others' text is escaped
            echo("Error: " + "\n".join(one_line(line) for line in lines), err=True)
            ctx.exit(EXIT_ERROR)
        except BrokenPipeError:
            # the reader went away (`ghlops render | head`): stop quietly, like other CLIs; stdout
            # goes to /dev/null so that flushing it at exit does not fail again
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            if ctx.invoked_subcommand == "apply":
                echo(
                    "ghlops: standard output was closed (broken pipe); the apply stopped. "
                    "Run 'ghlops plan' to see what is left.",
                    err=True,
                )
            ctx.exit(EXIT_BROKEN_PIPE)
        except KeyboardInterrupt as exc:
            code = getattr(exc, "exit_code", 130)  # 143 for SIGTERM (cli.interrupts)
            echo(f"Interrupted{f' ({exc})' if str(exc) else ''}.", err=True)
            ctx.exit(code)
        except Exception as exc:
            debug = bool(ctx.obj and ctx.obj.debug)
            if debug:
                echo(traceback.format_exc(), err=True)
            echo(
                f"ghlops: internal error ({type(exc).__name__}). This is a bug in ghlops; "
                "please report it" + ("" if debug else " with the output of --debug") + ".",
                err=True,
            )
            ctx.exit(EXIT_ERROR)


@click.group(cls=GhlopsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    help="Run in this project folder (where ghlops.yaml is).",
)
@click.option("--debug", is_flag=True, help="Log each HTTP call (tokens masked) to stderr.")
@click.option("--no-color", is_flag=True, help="No colours (also: NO_COLOR env var).")
@click.version_option(__version__, prog_name="ghlops")
@click.pass_context
def cli(ctx: click.Context, directory: Path, debug: bool, no_color: bool) -> None:
    """Manage GoHighLevel sub-account configuration as code: validate, plan, apply."""
    if debug:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(ScrubbingFormatter("%(name)s: %(message)s"))
        logging.basicConfig(level=logging.WARNING, handlers=[handler])
        logging.getLogger("ghlops").setLevel(logging.DEBUG)
    ctx.obj = Context(directory, debug, use_color(no_color=no_color))
