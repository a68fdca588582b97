"""Generate static/vendor/polaris-tokens.css from Shopify's @shopify/polaris-tokens npm package.

The package ships its own CSS build (dist/css/styles.css). We take its light theme (the admin's)
declaration for declaration, unchanged, one per line so a diff between versions reads well, and the
keyframes its motion tokens name (`--p-motion-keyframes-spin` is the name of a rule). The other themes
(mobile, high contrast, dark) are left out: the admin does not apply them to an embedded app's frame.
Nothing here writes a value by hand.

    python tools/polaris_tokens.py .cache/polaris/shopify-polaris-tokens-9.4.2.tgz static/vendor/polaris-tokens.css
"""

import json
import re
import sys
import tarfile
from pathlib import Path

STYLES = "package/dist/css/styles.css"
PACKAGE_JSON = "package/package.json"
LIGHT_SELECTOR = ":root,.p-theme-light"


def read_package(tarball):
    """The package's name, version and dist/css/styles.css text, read from the npm tarball."""
    with tarfile.open(tarball, "r:gz") as archive:
        meta = json.load(archive.extractfile(PACKAGE_JSON))
        styles = archive.extractfile(STYLES).read().decode("utf-8")
    return meta["name"], meta["version"], styles


def light_declarations(styles):
    """The custom properties of the light theme's rule, in the package's order."""
    match = re.search(re.escape(LIGHT_SELECTOR) + r"\{([^{}]*)\}", styles)
    if not match:
        raise ValueError(f"{STYLES} has no '{LIGHT_SELECTOR}' rule: the package's layout changed")
    return [part.strip() for part in match.group(1).split(";") if part.strip()]


def keyframes(styles):
    """The package's @keyframes rules, verbatim."""
    return re.findall(r"@keyframes [\w-]+\{(?:[^{}]|\{[^{}]*\})*\}", styles)


def generate(tarball):
    """The CSS file's text for the package in `tarball`."""
    name, version, styles = read_package(tarball)
    lines = [
        f"/* Generated from {name}@{version} (npm), {STYLES}: its light theme and keyframes, unchanged.",
        "   Do not edit: run `make polaris-tokens` (tools/polaris_tokens.py) to regenerate. */",
        ":root {",
        *(f"  {declaration};" for declaration in light_declarations(styles)),
        "}",
        *keyframes(styles),
        "",
    ]
    return "\n".join(lines)


def main(argv):
    """Write the generated file: tools/polaris_tokens.py TARBALL OUTPUT."""
    if len(argv) != 3:
        sys.exit(__doc__)
    Path(argv[2]).write_text(generate(argv[1]), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv)
