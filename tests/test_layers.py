"""How the apps depend on each other: in one direction, like layers, with no private names crossing.

The graph is read from the source (every import, at module level or inside a function), so
a new dependency that points up the layers, or closes a cycle, fails here before it reaches a
review. Models named by a string in a relation (ForeignKey("reminders.Broadcast")) are
dependencies too, of the schema rather than the code: they are checked against the same
layers, apart. `project` (settings, URLs, the Celery app, small shared helpers) is the
composition root and stands outside the layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The layers, bottom first: an app may import only the apps before it in this list.
# - advice: content (languages, topics, texts, keywords) and matching them; knows no person.
# - contacts: the person behind a number: language, time zone, consent and reachability per channel.
# - messaging: the outbound layer: the message log, delivery, backends, status callbacks.
# - reminders: the reminder plan, the scheduler and advisories.
# - privacy: erasure on request, export, retention (of contacts, reminder plans and messages).
# - conversation: what a person says or types, whatever the channel, and the answer.
# - sms, voice: the channels: their webhooks, what comes in, how the answer goes back.
# - dashboard: counts, forecasts and costs read from all of the above; nothing imports it.
# - tryit: the try-it phone, a page that texts the sms channel from simulated numbers.
LAYERS = (
    "advice",
    "contacts",
    "messaging",
    "reminders",
    "privacy",
    "conversation",
    "sms",
    "voice",
    "dashboard",
    "tryit",
)
APPS = (*LAYERS, "project")

# No debt: an upward import or a cycle fails. (Issue 9 paid what was listed here.)
KNOWN_CYCLES: set[frozenset[str]] = set()
KNOWN_UPWARD: set[tuple[str, str]] = set()
KNOWN_PRIVATE_IMPORTS: set[tuple[str, str, str]] = set()
# Relations that point up, each with its reason:
# - a message row names the advisory it was sent for: the database keeps one advisory message
#   per contact (a unique constraint on both columns) and the admin counts an advisory's
#   progress from them. The outbound code never reads it (no import); moving it would take a
#   table of advisory messages in `reminders`, a data migration of the log, for no behaviour.
KNOWN_UPWARD_RELATIONS: set[tuple[str, str]] = {("messaging.models", "reminders.Broadcast")}

_RELATIONS = {"ForeignKey", "OneToOneField", "ManyToManyField"}


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


def _relations(path: Path) -> list[str]:
    """Every model a relation in the file names by a string, such as "reminders.Broadcast"."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call) and _called(node) in _RELATIONS and node.args:
            target = node.args[0]
            if isinstance(target, ast.Constant) and isinstance(target.value, str) and "." in target.value:
                found.append(target.value)
    return found


def _called(node: ast.Call) -> str:
    function = node.func
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else ""


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


def upward(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    """Every dependency of an app on an app at its own level or above it."""
    return {(a, b) for a, targets in graph.items() for b in targets if LAYERS.index(b) >= LAYERS.index(a)}


def test_every_app_has_its_place_in_the_layers() -> None:
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}

    assert apps - set(APPS) == set(), "a new app: put it in LAYERS, above the apps it uses"


def test_each_app_imports_only_the_apps_below_it() -> None:
    found = upward(app_graph())

    assert found <= KNOWN_UPWARD, f"an app imports one at its level or above it: {found - KNOWN_UPWARD}"


def test_models_name_only_models_of_their_own_app_or_below_it() -> None:
    found = set()
    for module, path in _modules().items():
        source = _app(module)
        for model in _relations(path):
            target = _app(model)
            if source in LAYERS and target in LAYERS and LAYERS.index(target) > LAYERS.index(source):
                found.add((module, model))

    assert found <= KNOWN_UPWARD_RELATIONS, f"a relation points up the layers: {found - KNOWN_UPWARD_RELATIONS}"


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


def test_the_checker_sees_an_upward_import_and_a_model_named_by_a_string(tmp_path: Path) -> None:
    models = tmp_path / "models.py"
    models.write_text('from django.db import models\nx = models.ForeignKey("sms.Thing", on_delete=models.CASCADE)\n')

    assert _relations(models) == ["sms.Thing"]
    assert upward({"advice": {"sms"}, "sms": {"advice"}}) == {("advice", "sms")}
