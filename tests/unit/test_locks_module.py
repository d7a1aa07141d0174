"""Every row lock lives in shop/locks.py, and that module stands below every domain service."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "shop"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_lock_module_imports_no_model():
    """It names rows by table, so it stands below every domain package (layer 0)."""
    ours = {name for name in imported_modules(SHOP / "locks.py") if name.startswith("shop")}
    assert ours == {"shop.extensions"}, ours


def test_no_row_is_locked_outside_the_lock_module():
    lockers = sorted(
        str(path.relative_to(ROOT))
        for package in ("shop", "backoffice")
        for path in (ROOT / package).rglob("*.py")
        if "with_for_update" in path.read_text() and path != SHOP / "locks.py"
    )
    assert lockers == []
