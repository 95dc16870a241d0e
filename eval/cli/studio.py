"""``khabar studio`` (a local Label Studio) and ``khabar import`` (Label Studio annotations -> records)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import click

from annotation.errors import KhabarError
from annotation.labelstudio.client import DEFAULT_TIMEOUT, KEY_ENV, URL_ENV
from annotation.labelstudio.server import DEFAULT_DATA_DIR, DEFAULT_START_TIMEOUT
from eval.cli.options import TEXT, FiniteRange


@click.command("studio")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_DATA_DIR,
              show_default=True, help="Folder of the server's SQLite database, credentials file and log.")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port on 127.0.0.1 (default: the previous one if free, else a free one).")
@click.option("--start-timeout", type=FiniteRange(min=1), default=DEFAULT_START_TIMEOUT, show_default=True,
              help="Seconds to wait for the server to answer /health.")
def studio_cmd(data_dir: Path, port: int | None, start_timeout: float) -> None:
    """Start a local Label Studio on 127.0.0.1 and print its URL and login; Ctrl-C (or SIGTERM) stops it.

    The first start creates the database (it takes a while) and an admin login with a generated
    password and API token, kept in DATA_DIR/credentials.json; everything in DATA_DIR is readable
    by you only. The password is printed once, at that first start; later starts print only the
    credentials file's path. The API token is never printed: the command shown reads it from the
    credentials file. A restart uses the same port (so that LABEL_STUDIO_URL stays right) and
    fails clearly when it is taken. Needs the server extra: pip install 'khabar[server]'.
    """
    import signal

    from annotation.labelstudio.server import start_server

    def stop_on_signal(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_signal)
    click.echo(f"starting Label Studio (data in {data_dir}; the first start takes a minute or more)…", err=True)
    studio = start_server(data_dir, port=port, timeout=start_timeout)
    try:
        _print_access(studio)
        try:
            studio.process.wait()
        except KeyboardInterrupt:
            click.echo("stopping Label Studio…", err=True)
        else:
            raise KhabarError(f"Label Studio stopped by itself (status {studio.process.returncode}); "
                              f"see {studio.log_path}")
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)   # a second signal must not cut the stop short
        studio.stop()
    click.echo("stopped", err=True)


def _print_access(studio: Any) -> None:
    creds_path = shlex.quote(str(studio.credentials_path))
    click.echo(f"Label Studio is running at {studio.url}")
    if studio.created:
        click.echo(f"  log in as {studio.credentials.email} with password {studio.credentials.password}")
        click.echo("  (shown this once; it is kept in the credentials file below)")
    else:
        click.echo(f"  log in as {studio.credentials.email} (the password is in {studio.credentials_path})")
    click.echo(f"  (login and API token are kept in {studio.credentials_path}, mode 0600)")
    click.echo("for khabar export / import in another shell:")
    click.echo(f"  export {URL_ENV}={studio.url}")
    click.echo(f"  export {KEY_ENV}=\"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))"
               f"[\"api_key\"])' {creds_path})\"")
    click.echo("annotators join with the invite link of Organization > Add People in Label Studio")
    click.echo("press Ctrl-C to stop")


@click.command("import")
@click.argument("export", required=False, type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Records folder: raw/<sha256>.json, records.jsonl, quarantine.jsonl.")
@click.option("--url", default=None, help=f"Label Studio server (default: ${URL_ENV}).")
@click.option("--project", type=TEXT, default=None, help="Title of the project to pull (instead of an EXPORT file).")
@click.option("--api-key", default=None, help=f"API key (default: ${KEY_ENV}; prefer the variable).")
@click.option("--timeout", type=FiniteRange(min=0.1), default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds to wait for each answer of the server.")
def import_cmd(export: Path | None, out: Path, url: str | None, project: str | None, api_key: str | None,
               timeout: float) -> None:
    """Import Label Studio annotations into per-annotator records.

    Reads a full JSON export (EXPORT) or pulls project --project from the server. JSON_MIN and CSV
    exports are refused: they lose relations and per-region attributes. The raw export is kept
    verbatim (OUT/raw/<sha256>.json); each non-cancelled annotation becomes one record in
    OUT/records.jsonl; regions and relations that cannot be used are listed with their reason in
    OUT/quarantine.jsonl (and the exit status is then 1), and so is a claim that breaks a rule of
    the scheme (attribution 'none' with a source…). Importing the same export again changes
    nothing; a newer export updates the annotations whose updated_at is newer; records of
    annotations deleted in Label Studio are removed (the export is the project's whole state).
    """
    from annotation.labelstudio.importer import import_export, import_file

    if (export is None) == (project is None):
        raise click.UsageError("give either an EXPORT file or --project TITLE (with --url or $LABEL_STUDIO_URL)")
    if export is not None and (url or api_key):
        raise click.UsageError("--url and --api-key go with --project, not with an EXPORT file")
    if export is not None:
        report = import_file(export, out)
    else:
        from annotation.labelstudio.client import connect, pull_export

        server = connect(url, api_key, timeout=timeout)
        data = pull_export(server, str(project))
        report = import_export(data, out, where=f"{server.url} project {project!r}")
    for line in report.summary():
        click.echo(line)
    for entry in report.quarantined:
        region = f" region {entry['region']}" if entry.get("region") else ""
        click.echo(f"quarantined: task {entry['task']} annotation {entry['annotation']} "
                   f"({entry['annotator']}){region}: {entry['reason']}", err=True)
    click.echo(f"wrote {out / 'records.jsonl'}")
    if report.quarantined:
        raise KhabarError(f"{len(report.quarantined)} item(s) quarantined (listed above and in "
                          f"{out / 'quarantine.jsonl'}); the rest of the annotations were imported")


COMMANDS: list[click.Command] = [studio_cmd, import_cmd]
