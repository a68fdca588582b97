"""`productVariants(query:)` of the fake: the `sku:` terms (ORed) the BOM import searches with."""

import base64
import re

from .queries import MAX_PAGE, ExecContext, top_error, variant_object

# sku:"quoted \" value" or sku:bare-value, as Shopify's search syntax writes them.
_SKU_TERM = re.compile(r'sku:(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))')
_ESCAPE = re.compile(r"\\(.)")


def searched_skus(query: str) -> set[str]:
    """The SKUs a query asks for (any connective between the terms counts as OR)."""
    return {_ESCAPE.sub(r"\1", quoted) if quoted or not bare else bare
            for quoted, bare in _SKU_TERM.findall(query or "")}


def _cursor(variant: str) -> str:
    return base64.urlsafe_b64encode(variant.encode()).decode().rstrip("=")


def resolve_product_variants(ctx: ExecContext, field, args: dict):
    """`productVariants(first:, after:, query:)`: variants whose SKU is one searched for, by id."""
    first = args.get("first")
    if not isinstance(first, int) or first < 0:
        return None, [top_error("you must provide one of first or last", "BAD_REQUEST", ["productVariants"])]
    if first > MAX_PAGE:
        return None, [top_error(f"The maximum page size is {MAX_PAGE}.", "BAD_REQUEST", ["productVariants"])]
    wanted = searched_skus(args.get("query") or "")
    with ctx.store.lock:
        state = ctx.store.add_shop(ctx.shop)
        ids = sorted((v for v, record in state.variants.items() if record.get("sku") in wanted),
                     key=lambda v: int(v.rsplit("/", 1)[-1]))
        start = 0
        if args.get("after"):
            cursors = [_cursor(v) for v in ids]
            if args["after"] not in cursors:
                return None, [top_error("Invalid cursor for current pagination sort.", "BAD_REQUEST",
                                        ["productVariants"])]
            start = cursors.index(args["after"]) + 1
        nodes = [variant_object(state, v) for v in ids[start:start + first]]
    edges = [{"__typename": "ProductVariantEdge", "cursor": _cursor(n["id"]), "node": n} for n in nodes]
    return {"__typename": "ProductVariantConnection", "nodes": nodes, "edges": edges,
            "pageInfo": {"__typename": "PageInfo", "hasNextPage": start + first < len(ids),
                         "hasPreviousPage": start > 0,
                         "startCursor": edges[0]["cursor"] if edges else None,
                         "endCursor": edges[-1]["cursor"] if edges else None}}, []
