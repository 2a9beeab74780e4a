"""Every audit action the code records has a name for people to read (the person's change history shows
the label, never the code): the actions are found in the source, so a new one without a label fails here.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

from vaxbook.registry.views import ACTION_LABELS, OTHER_ACTION, action_label

PACKAGE = Path(__file__).resolve().parents[2]  # vaxbook/
#: The helpers of vaxbook/common/audit.py that record an event, each called with `action=`.
AUDIT_CALLS = {"audit_log", "audit_statement", "audit_event_objects"}
HELPERS = PACKAGE / "common" / "audit.py"  # they pass their own `action` on: not a call site


def _sources() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if "tests" in parts or "migrations" in parts or path == HELPERS:
            continue
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _literals_by_name(trees: list[tuple[Path, ast.Module]]) -> dict[str, set[str]]:
    """String literals given to a name anywhere: `name="…"` in a call and `name: str = "…"` as a
    parameter's default (how `plan.audit_action` gets its value)."""
    found: dict[str, set[str]] = {}
    for _path, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    value = _literal(kw.value)
                    if kw.arg and value is not None:
                        found.setdefault(kw.arg, set()).add(value)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                a = node.args
                positional = [*a.posonlyargs, *a.args]
                pairs = [
                    *zip(positional[len(positional) - len(a.defaults) :], a.defaults, strict=True),
                    *zip(a.kwonlyargs, a.kw_defaults, strict=True),
                ]
                for arg, default in pairs:
                    value = _literal(default)
                    if value is not None:
                        found.setdefault(arg.arg, set()).add(value)
    return found


def recorded_actions() -> tuple[set[str], list[str]]:
    """Every action the code records, and the call sites whose action could not be worked out."""
    trees = list(_sources())
    by_name = _literals_by_name(trees)
    actions: set[str] = set()
    unresolved: list[str] = []
    for path, tree in trees:
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}

        def enclosing(node: ast.AST, parents: dict[ast.AST, ast.AST] = parents, tree: ast.Module = tree) -> ast.AST:
            while node in parents:
                node = parents[node]
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    return node
            return tree

        def resolve(expr: ast.expr, scope: ast.AST) -> set[str] | None:
            value = _literal(expr)
            if value is not None:
                return {value}
            if isinstance(expr, ast.IfExp):  # "x.changed" if change else "x.created"
                body, orelse = resolve(expr.body, scope), resolve(expr.orelse, scope)
                return None if body is None or orelse is None else body | orelse
            if isinstance(expr, ast.Name):  # action = …; audit_log(action=action)
                values: set[str] = set()
                for node in ast.walk(scope):
                    if isinstance(node, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == expr.id for t in node.targets
                    ):
                        found = resolve(node.value, scope)
                        if found is None:
                            return None
                        values |= found
                return values or None
            if isinstance(expr, ast.Attribute):  # plan.audit_action: the literals given to audit_action
                return by_name.get(expr.attr) or None
            return None

        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _called_name(node.func) in AUDIT_CALLS):
                continue
            action = next((kw.value for kw in node.keywords if kw.arg == "action"), None)
            resolved = resolve(action, enclosing(node)) if action is not None else None
            if resolved is None:
                unresolved.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
            else:
                actions |= resolved
    return actions, unresolved


def test_the_source_is_read_for_the_actions_it_records() -> None:
    actions, unresolved = recorded_actions()
    assert unresolved == [], f"audit calls whose action is not a string this test can read: {unresolved}"
    # The finder finds the ones we know of, from each kind of call (a sanity check of the finder).
    assert {
        "clinic.person.checked_in",  # audit_statement
        "registry.person.merged",  # audit_log
        "registry.person.created",  # audit_event_objects(action=plan.audit_action), a parameter's default
        "registry.priority_group.changed",  # action = "…" if change else "…"
        "clinic.dose.recorded",
    } <= actions
    assert all(a.count(".") >= 1 and a == a.lower() for a in actions), actions


def test_every_recorded_action_has_a_label() -> None:
    actions, _unresolved = recorded_actions()
    missing = sorted(actions - set(ACTION_LABELS))
    assert missing == [], f"audit actions without a label in registry/views.py ACTION_LABELS: {missing}"


def test_an_unknown_action_reads_as_words_not_as_its_code() -> None:
    label = str(action_label("clinic.something.new"))
    assert label == str(OTHER_ACTION)
    assert "." not in label and "_" not in label
