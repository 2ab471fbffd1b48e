"""`rempart lab up|down|status`: the demo practice on 127.42.0.0/24."""

import typer

from rempart.cli.main import app

lab_app = typer.Typer(help="Start, stop or inspect the demo practice on 127.42.0.0/24.", no_args_is_help=True)
app.add_typer(lab_app, name="lab")
