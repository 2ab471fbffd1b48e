"""`rempart data ...`: reference data (fingerprints; later vulnerability feeds)."""

import typer

from rempart.cli.main import app

data_app = typer.Typer(help="Manage reference data (fingerprints).", no_args_is_help=True)
app.add_typer(data_app, name="data")
