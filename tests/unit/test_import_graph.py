"""The import graph of shop/ and backoffice/: the layers of the house hold, and no circle.

Two checks anyone can run: `lint-imports` (the contracts in pyproject.toml: the layers,
the domain importing no face, the two faces apart) and, here, a search of the graph of
modules for a circle (a strongly connected component of more than one module). A
function-level import counts like any other: grimp reads every import statement.
"""

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def circles(graph) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    imported = sorted(graph.find_modules_directly_imported_by(child))
                    work.append((child, iter(imported)))
                elif child in on_stack:
                    low[module] = min(low[module], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == module:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def one_circle(graph, component: list[str]) -> list[str]:
    """A shortest way round, from the first module of the component back to itself."""
    members = set(component)
    start = component[0]
    for step in sorted(graph.find_modules_directly_imported_by(start)):
        if step not in members:
            continue
        path = graph.find_shortest_chain(importer=step, imported=start)
        if path:
            return [start, *path]
    return component


def test_the_contracts_of_the_house_are_kept():
    run = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]


def test_no_module_imports_itself_round_a_circle():
    graph = grimp.build_graph("shop", "backoffice", cache_dir=None)
    found = circles(graph)
    described = "\n".join(f"{len(c)} modules: " + " -> ".join(one_circle(graph, c)) for c in found)
    assert found == [], "import circles:\n" + described


def test_the_promise_counts_the_orders_statuses_it_names():
    """shop.promise reads the orders' tables by name (it stands below shop.orders); the
    statuses it counts as waiting are the orders' own."""
    from shop.orders import status as order_status
    from shop.promise.incoming import PROMISING

    assert PROMISING == (
        order_status.PENDING_PAYMENT,
        order_status.PAID,
        order_status.PARTIALLY_SHIPPED,
    )


def test_every_module_of_the_shop_has_a_layer():
    """A package nobody placed in the layers would be free to import anything."""
    import re
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in contracts["contracts"] if c["id"] == "layers")["layers"]
    placed = {name.strip().strip("()") for layer in layers for name in re.split(r"[:|]", layer)}
    shop = ROOT / "shop"
    modules = {p.stem for p in shop.glob("*.py") if p.stem != "__init__"}
    modules |= {p.name for p in shop.iterdir() if (p / "__init__.py").exists()}
    assert modules - placed == set(), "not in any layer of pyproject.toml"
    assert placed - modules == set(), "a layer names a module that does not exist"
