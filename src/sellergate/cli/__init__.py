"""The ``sellergate`` command line (Typer), over the same services as the web app."""
