"""The ``khabar`` command: a thin layer over the library. Each family of commands lives in its own module."""

from __future__ import annotations

import sys

import click

from annotation import __version__
from annotation.errors import KhabarError


class KhabarGroup(click.Group):
    """Turns library errors into one clean message on stderr and exit status 1."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KhabarError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


@click.group(cls=KhabarGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="khabar")
def cli() -> None:
    """khabar: annotated gold data and scoring for entity and claim extraction from Arabic news."""


def _register() -> None:
    from annotation import cli_agreement, cli_data, cli_ingest, cli_studio
    from eval import cli_bench, cli_compare, cli_export, cli_score

    for module in (cli_ingest, cli_data, cli_export, cli_studio, cli_agreement, cli_score, cli_compare, cli_bench):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="khabar")


if __name__ == "__main__":
    main()
