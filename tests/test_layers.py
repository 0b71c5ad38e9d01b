"""How the apps depend on each other: in one direction, like layers, with no private names crossing.

The graph is read from the source (every import, at module level or inside a function), so a
new dependency that closes a cycle fails here before it reaches a review. The cycles and the
private imports that exist today are listed as debt: the list may shrink, never grow.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("advice", "messaging", "reminders", "contacts", "voice", "tryit", "project")

# Debt, to be paid by the channel-neutral core (issue 9): `messaging` and `reminders` still
# import each other (the conversation, in messaging.services, sets reminder times and reads
# the pause; privacy erases reminder plans).
KNOWN_CYCLES: set[frozenset[str]] = {
    frozenset({"messaging", "reminders"}),
}
KNOWN_PRIVATE_IMPORTS: set[tuple[str, str, str]] = set()


def _modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py") if (ROOT / app).exists() else []:
            if "migrations" in path.parts:
                continue  # frozen history: they import nothing at run time
            found[".".join(path.relative_to(ROOT).with_suffix("").parts)] = path
    return found


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) for every import statement in the file."""
    result: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            result.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            result.append((node.module, [alias.name for alias in node.names]))
    return result


def _app(module: str) -> str | None:
    top = module.split(".")[0]
    return top if top in APPS else None


def app_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in _modules().items():
        source = _app(module)
        assert source is not None
        for imported, _names in _imports(path):
            target = _app(imported)
            if target and target != source and source != "project" and target != "project":
                graph.setdefault(source, set()).add(target)
    return graph


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, ()))
    return False


def test_apps_import_each_other_in_one_direction_only() -> None:
    graph = app_graph()
    cycles = {frozenset({a, b}) for a, targets in graph.items() for b in targets if a != b and _reaches(graph, b, a)}

    assert cycles <= KNOWN_CYCLES, f"new import cycle between apps: {cycles - KNOWN_CYCLES}"


def test_contacts_sit_below_reminders_and_messaging() -> None:
    # The person behind a number knows nothing of what is sent to them or when: the reminder
    # plan follows a contact through contacts.services.on_reachability_change.
    assert app_graph().get("contacts", set()) <= {"advice"}


def test_no_private_name_is_imported_from_another_module() -> None:
    modules = _modules()
    private = set()
    for module, path in modules.items():
        for imported, names in _imports(path):
            if imported in modules and imported != module:
                private.update((module, imported, name) for name in names if name.startswith("_"))

    assert private <= KNOWN_PRIVATE_IMPORTS, f"private names imported: {private - KNOWN_PRIVATE_IMPORTS}"


def test_the_checker_sees_a_cycle_when_there_is_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

    assert _reaches(graph, "b", "a")
    assert not _reaches(graph, "a", "d")
