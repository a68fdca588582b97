"""GET /api/accounts: exact and whole totals per (variant, location, quantity name) (SPEC §5)."""

from flask import jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from ..fields import LocationGID, SignedQuantity, VariantGID
from ..production.representations import ResponseModel
from ..shops.scoping import current_shop
from ..sync import accounts, ledger
from ..validation import parse
from .registry import operation


class AccountQuery(BaseModel):
    """Query string of the account list."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    variant_id: VariantGID | None = Field(default=None, alias="variantId")
    location_id: LocationGID | None = Field(default=None, alias="locationId")


class AccountOut(ResponseModel):

    variant_id: str
    location_id: str
    name: str
    exact: SignedQuantity
    whole: int
    remainder: SignedQuantity
    meaning: str | None = Field(description="What a carried fraction means, in the merchant's words")


class AccountListOut(BaseModel):
    items: list[AccountOut]


def account_json(account) -> dict:
    balance = accounts.Balance(account.exact, account.whole)
    return {"variant_id": account.variant_id, "location_id": account.location_id, "name": account.name,
            "exact": balance.exact, "whole": balance.whole, "remainder": balance.remainder,
            "meaning": accounts.describe_remainder(balance)}


@operation("GET", "/accounts", summary="The shop's accounts: exact use and whole units sent, per variant and location",
           query=AccountQuery, response=AccountListOut, errors=(422,))
def list_accounts():
    query = parse(AccountQuery, request.args.to_dict())
    rows = ledger.shop_accounts(current_shop().id, query.variant_id, query.location_id)
    return jsonify(AccountListOut(items=[account_json(a) for a in rows]).model_dump(mode="json"))
