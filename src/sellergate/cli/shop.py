"""``sellergate shop``: fill a seller's shop with believable demo data."""

from __future__ import annotations

import dataclasses

import typer

from sellergate.accounts.sellers import get_seller
from sellergate.cli.context import database_session
from sellergate.cli.output import JSON_OPTION, emit

app = typer.Typer(help="The shop behind the Seller API.", no_args_is_help=True)


@app.command("seed")
def seed(
    username: str = typer.Argument(..., help="The seller whose shop to fill."),
    rng_seed: int = typer.Option(2024, "--seed", help="The same seed gives the same shop."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add dozens of products, variants, listings and orders with generated customers."""
    from sellergate.shop.seed import seed_demo_shop  # faker loads only for this command

    with database_session(write=True) as session:
        seller_id = get_seller(session, username).id
        summary = seed_demo_shop(session, seller_id, rng_seed=rng_seed)
    data = {"seller_id": seller_id, **dataclasses.asdict(summary)}
    emit(data, as_json)
