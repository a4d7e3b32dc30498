"""``sellergate orders``: orders come from buyers outside the Seller API; simulate one."""

from __future__ import annotations

import typer

from sellergate.accounts.sellers import get_seller
from sellergate.cli.context import database_session
from sellergate.cli.output import JSON_OPTION, emit
from sellergate.errors import UnknownReference
from sellergate.shop.customers import get_customer

app = typer.Typer(help="Orders: simulate a buyer's purchase.", no_args_is_help=True)


def listing_number(text: str) -> int:
    """A listing's numeric id from itself or from its Relay global ID."""
    if text.isdigit():
        return int(text)
    from sellergate.api.relay import local_id

    try:
        return local_id(text, "Listing", "listing")
    except UnknownReference:
        raise UnknownReference(
            f"--listing: {text[:40]!r} is neither a listing number nor a listing ID",
            field="listing",
        ) from None


@app.command("simulate")
def simulate(
    seller: str = typer.Option(..., "--seller", help="The seller's username."),
    listing: str = typer.Option(
        ..., "--listing", help="The listing bought from: its global ID or its number."
    ),
    quantity: int = typer.Option(1, "--quantity", help="How many items the buyer takes."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Record a purchase by a generated customer; takes the quantity off the listing."""
    from sellergate.shop.simulate import simulate_order  # faker loads only for this command

    with database_session(write=True) as session:
        seller_id = get_seller(session, seller).id
        order = simulate_order(session, seller_id, listing_number(listing), quantity)
        customer = get_customer(session, seller_id, order.customer_id)
        total = order.total.amount
        data = {
            "order_id": _global("Order", order.id),
            "order_number": order.id,
            "status": order.status,
            "total": {"amount": total, "currency": order.total.currency},
            "quantity": quantity,
            "customer": {"name": customer.name, "email": customer.email},
        }
    emit(
        data,
        as_json,
        f"order {data['order_id']} placed by {customer.name}: {quantity} item(s), "
        f"{total} {order.total.currency}",
    )


def _global(type_name: str, object_id: int) -> str:
    from sellergate.api.relay import global_id

    return str(global_id(type_name, object_id))
