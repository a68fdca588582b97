"""`python -m shopify_app.devshop --port 8765`: run the fake Shopify in the foreground."""

import argparse
import os

from werkzeug.serving import make_server

from .config import FakeShopifyConfig
from .demo import DEMO_SHOP, seed_demo_shop
from .server import create_fake_app
from .store import FakeStore


def main(argv=None) -> None:
    """Parse options, seed the demo shop, print how to reach it and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m shopify_app.devshop", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default=os.environ.get("SHOPIFY_API_KEY") or "devshop-api-key")
    parser.add_argument("--api-secret", default=os.environ.get("SHOPIFY_API_SECRET") or "devshop-api-secret")
    parser.add_argument("--schema", default=os.environ.get("SHOPIFY_SCHEMA_PATH"),
                        help="Admin GraphQL introspection JSON(.gz) to validate documents against")
    parser.add_argument("--shop", default=DEMO_SHOP, help="demo shop to seed")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--fault-seed", type=int, default=0)
    args = parser.parse_args(argv)

    config = FakeShopifyConfig(api_key=args.api_key, api_secret=args.api_secret, schema_path=args.schema,
                               fault_rate=args.fault_rate, fault_seed=args.fault_seed)
    store = FakeStore()
    seed_demo_shop(store, args.shop)
    # A non-expiring token so the fake can be poked with curl without a token exchange.
    token = store.tokens.issue(args.shop, config.scopes, expiring=False)["access_token"]
    server = make_server(args.host, args.port, create_fake_app(config, store), threaded=True)
    origin = f"http://{args.host}:{server.server_port}"
    print(f"Fake Shopify on {origin}  (SHOPIFY_ADMIN_ORIGIN={origin}/{{shop}})", flush=True)
    print(f"Demo shop {args.shop}; access token {token}", flush=True)
    print(f"Ledger: {origin}/_fake/{args.shop}/ledger", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
