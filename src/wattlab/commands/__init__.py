"""CLI sub-commands: each module defines `app = typer.Typer()`, mounted under its name."""
