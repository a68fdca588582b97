"""Shopify's answer to the catalogue check (`CatalogueIds`), faked at the HTTP boundary with `responses`.

Every test gets it (conftest, autouse): an order saved with a well-formed variant or location id finds
it in Shopify unless the test lists the id in `missing` or `inactive`. Requests to loopback (the fake
store of the integration tests) pass through untouched; any other GraphQL call fails as loudly as the
network guard does, so a test that forgets to fake a Shopify call still notices.
"""

import json
import re

import responses

GRAPHQL_URL = re.compile(r"^https://[^/]+/admin/api/[^/]+/graphql\.json$")
NOT_GRAPHQL = re.compile(r"^(?!https://[^/]+/admin/api/[^/]+/graphql\.json)")


class FakeCatalogue:
    """Which ids exist; what was asked."""

    def __init__(self):
        self.missing: set[str] = set()
        self.inactive: set[str] = set()
        self.unavailable = False  # Shopify answers 503 to everything
        self.requests: list[list[str]] = []  # the ids of each CatalogueIds call
        self.costs: dict[str, str | None] = {}  # variant -> its cost per item (None: no cost in Shopify)
        # InventoryAvailability (SPEC §10): available per (variant, location), 0 when not listed.
        self.stock: dict[tuple[str, str], int] = {}
        self.untracked: set[str] = set()
        self.stock_unavailable = False  # only the stock query answers 503
        self.stock_requests: list[dict] = []  # the variables of each InventoryAvailability call

    def node(self, gid: str):
        if gid in self.missing:
            return None
        number = gid.rsplit("/", 1)[-1]
        if "/ProductVariant/" in gid:
            node = {"__typename": "ProductVariant", "id": gid, "displayName": f"Variant {number}", "sku": f"SKU-{number}"}
            if gid in self.costs:
                cost = self.costs[gid]
                node["inventoryItem"] = {"unitCost": None if cost is None else {"amount": cost, "currencyCode": "EUR"}}
            return node
        if "/Location/" in gid:
            return {"__typename": "Location", "id": gid, "name": f"Location {number}", "isActive": gid not in self.inactive}
        return None

    def stock_node(self, gid: str, location: str):
        if gid in self.missing:
            return None
        level = {"quantities": [{"name": "available", "quantity": self.stock[(gid, location)]}]} \
            if (gid, location) in self.stock else None
        return {"__typename": "ProductVariant", "id": gid,
                "inventoryItem": {"tracked": gid not in self.untracked, "inventoryLevel": level}}

    def answer(self, request):
        body = json.loads(request.body)
        if body.get("operationName") == "InventoryAvailability":
            return self.answer_stock(body["variables"])
        if body.get("operationName") != "CatalogueIds":
            raise RuntimeError(f"test tried to reach Shopify: {body.get('operationName')}")
        ids = body["variables"]["ids"]
        self.requests.append(ids)
        if self.unavailable:
            return 503, {}, "Service Unavailable"
        return 200, {}, json.dumps({"data": {"nodes": [self.node(gid) for gid in ids]},
                                    "extensions": {"cost": _full_bucket(len(ids))}})

    def answer_stock(self, variables):
        self.stock_requests.append(variables)
        if self.unavailable or self.stock_unavailable:
            return 503, {}, "Service Unavailable"
        nodes = [self.stock_node(gid, variables["locationId"]) for gid in variables["ids"]]
        return 200, {}, json.dumps({"data": {"nodes": nodes}, "extensions": {"cost": _full_bucket(len(nodes) * 4)}})


def _full_bucket(cost: int) -> dict:
    # A full bucket, as a shop at rest answers: the shared budget never waits on this fake.
    return {"requestedQueryCost": cost, "actualQueryCost": cost,
            "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 2000, "restoreRate": 100.0}}


def fake_catalogue():
    """A context manager yielding the FakeCatalogue while `responses` answers Shopify with it."""
    catalogue = FakeCatalogue()
    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    mock.add_passthru(NOT_GRAPHQL)
    mock.add_callback(responses.POST, GRAPHQL_URL, callback=catalogue.answer)
    return mock, catalogue
