"""The pages' look comes from Shopify's Polaris tokens (SPEC §7, issue #14): the committed token file is
what the pinned npm package generates, and static/app.css takes every colour, space, type size, radius
and shadow from it rather than from hand-picked values."""

import importlib.util
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP_CSS = ROOT / "static" / "app.css"
TOKENS_CSS = ROOT / "static" / "vendor" / "polaris-tokens.css"
TOKENS_VERSION = re.search(r"^TOKENS_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M).group(1)
TARBALL = ROOT / ".cache" / "polaris" / f"shopify-polaris-tokens-{TOKENS_VERSION}.tgz"
# CI fetches the npm package (like the Admin schema): there a missing tarball is a failure, not a skip.
REQUIRE_PACKAGE = os.environ.get("REQUIRE_SHOPIFY_SCHEMA") == "1"

# Properties whose values must be tokens: spacing, type, radii, shadows, border and outline widths.
TOKEN_ONLY = re.compile(
    r"^(padding|margin|gap|row-gap|column-gap|font|font-size|font-weight|line-height|letter-spacing"
    r"|border-radius|box-shadow|border|border-(top|right|bottom|left)|border-width|outline|outline-width"
    r"|outline-offset)(-(top|right|bottom|left|inline|block|start|end))*$")
COLOUR_PROPERTIES = re.compile(r"(^|-)(color|background|border|outline|shadow|fill|stroke)")
COLOUR_LITERAL = re.compile(r"#[0-9a-fA-F]{3,8}\b|\b(rgba?|hsla?|hwb|lab|lch|oklab|oklch)\(")
NAMED_COLOURS = re.compile(r"\b(white|black|red|green|blue|gray|grey|yellow|orange|silver|navy|maroon)\b")
# A number with a unit (or a bare number, for weights and line heights) other than zero.
RAW_LENGTH = re.compile(r"(?<![\w-])(?!0(?![.\d]))\d*\.?\d+(px|rem|em|%|pt)?(?![\w-])")


def without_tokens(value: str) -> str:
    """The value with its tokens, and factors applied to them (`calc(var(--p-space-100) * -1)`), removed."""
    return re.sub(r"\*\s*-?[\d.]+", "", re.sub(r"var\(--p-[\w-]+\)", "", value))


def load_generator():
    spec = importlib.util.spec_from_file_location("polaris_tokens", ROOT / "tools" / "polaris_tokens.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def declarations(css: str):
    """(selector, property, value) for every declaration, comments and url(...) bodies removed."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"url\([^)]*\)", "url()", css)
    css = re.sub(r"@keyframes[^{]*\{(?:[^{}]|\{[^{}]*\})*\}", "", css)
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", re.sub(r"@media[^{]*\{", "", css)):
        for declaration in body.split(";"):
            if ":" in declaration:
                name, value = declaration.split(":", 1)
                yield selector.strip(), name.strip().lower(), value.strip()


def test_the_committed_tokens_are_what_the_pinned_package_generates():
    if not TARBALL.exists():
        message = f"{TARBALL.relative_to(ROOT)} is missing: `make polaris-tokens` fetches it with npm"
        if REQUIRE_PACKAGE:
            pytest.fail(message + " (REQUIRE_SHOPIFY_SCHEMA=1)")
        pytest.skip(message)
    assert TOKENS_CSS.read_text() == load_generator().generate(TARBALL), \
        "static/vendor/polaris-tokens.css differs from the package: run `make polaris-tokens`"


def test_the_committed_tokens_say_where_they_came_from():
    header = TOKENS_CSS.read_text().splitlines()[0]
    assert f"@shopify/polaris-tokens@{TOKENS_VERSION}" in header
    assert "--p-color-bg-surface:" in TOKENS_CSS.read_text()


def test_every_page_links_the_tokens_before_the_stylesheet():
    base = (ROOT / "templates" / "base.html").read_text()
    tokens = base.index("filename='vendor/polaris-tokens.css'")
    assert tokens < base.index("filename='app.css'")
    assert "@import" not in APP_CSS.read_text()  # an @import would fetch the tokens only after app.css


def test_the_stylesheet_has_no_colour_literals():
    found = [f"{selector} {{ {name}: {value} }}" for selector, name, value in declarations(APP_CSS.read_text())
             if COLOUR_LITERAL.search(value)
             or (COLOUR_PROPERTIES.search(name) and NAMED_COLOURS.search(value))]
    assert not found, "colours must be var(--p-color-…):\n" + "\n".join(found)


def test_spacing_type_radii_and_shadows_are_tokens_not_raw_lengths():
    found = []
    for selector, name, value in declarations(APP_CSS.read_text()):
        if not TOKEN_ONLY.match(name) or name == "font-family":
            continue
        if RAW_LENGTH.search(without_tokens(value)):
            found.append(f"{selector} {{ {name}: {value} }}")
    assert not found, "use var(--p-space-…), --p-font-…, --p-border-…, --p-shadow-…:\n" + "\n".join(found)


def test_every_token_the_stylesheet_names_exists():
    defined = set(re.findall(r"(--p-[\w-]+):", TOKENS_CSS.read_text()))
    used = set(re.findall(r"var\((--p-[\w-]+)", APP_CSS.read_text()))
    assert used - defined == set(), "unknown tokens (a typo falls back silently)"


@pytest.mark.parametrize("value, raw", [
    ("var(--p-space-200) var(--p-space-400)", False),
    ("0 var(--p-space-400)", False),
    ("8px 16px", True),
    ("0.5rem", True),
    ("550", True),
    ("calc(var(--p-space-100) * -1)", False),  # a token, negated
    ("calc(var(--p-space-100) + 2px)", True),
])
def test_the_raw_length_rule_tells_tokens_from_literals(value, raw):
    assert bool(RAW_LENGTH.search(without_tokens(value))) is raw


def test_the_token_file_is_served(client):
    response = client.get("/static/vendor/polaris-tokens.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    response.close()
