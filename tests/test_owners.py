"""One owner per table (docs/architecture.md, "Owners"; CONVENTIONS.md): the package whose
`models.py` defines a model is the only one that writes its table. Another domain asks
through the owner's service functions (`inspections.tasks.open_task`, `complete_task`,
`recalls.service.propose_recall_from_sample`, …).

Read from the source with `ast`, no database: a module of `backend/<domain>/` must not
construct another domain's model (`Model(...)`), pass it to `insert()`/`update()`/`delete()`,
or assign an attribute of a variable it got as one (a parameter annotated with the model,
`db.session.get(Model, …)`, `db.session.scalar(select(Model)…)`, `Model(...)`).
"""
from __future__ import annotations

import ast
from pathlib import Path

BACKEND = Path(__file__).resolve().parent.parent / "backend"
WRITERS = {"insert", "update", "delete"}

# Writes that still cross an owner's line, each with its reason. Shrink this list; never
# grow it without one. Keys: (module relative to backend/, model).
ALLOWED: dict[tuple[str, str], str] = {}


def model_owners() -> dict[str, str]:
    """Model class name → owning package, from each `backend/<domain>/models.py` (or models/)."""
    owners: dict[str, str] = {}
    for path in sorted(BACKEND.glob("*/models.py")) + sorted(BACKEND.glob("*/models/*.py")):
        domain = path.relative_to(BACKEND).parts[0]
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef):
                assert node.name not in owners, f"{node.name} is defined by both {owners[node.name]} and {domain}"
                owners[node.name] = domain
    return owners


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _models_in(node: ast.AST | None, foreign: set[str]) -> set[str]:
    """Foreign models named in an annotation (`Model`, `Model | None`, `"Model"`)."""
    if node is None:
        return set()
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return set()
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in foreign}


def _loaded_model(value: ast.AST, foreign: set[str]) -> str | None:
    """The foreign model an expression yields: `Model(...)`, `session.get(Model, …)`,
    `session.scalar(select(Model)…)` (and the same behind `x if … else None`)."""
    if isinstance(value, ast.IfExp):
        return _loaded_model(value.body, foreign) or _loaded_model(value.orelse, foreign)
    if not isinstance(value, ast.Call):
        return None
    called = _name(value.func)
    if called in foreign:
        return called
    if called == "get" and value.args and _name(value.args[0]) in foreign:
        return _name(value.args[0])
    if called in ("scalar", "one", "one_or_none", "first"):
        for inner in ast.walk(value):
            if isinstance(inner, ast.Call) and _name(inner.func) == "select" and len(inner.args) == 1 \
                    and _name(inner.args[0]) in foreign:
                return _name(inner.args[0])
    return None


def _targets(target: ast.AST):
    if isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _targets(element)
    else:
        yield target


def _aliases(tree: ast.AST, foreign: set[str]) -> dict[str, set[str]]:
    """Names that stand for foreign models: `task = InspectionTask`, and the loop variables
    of `for name, table, … in stages` over a literal of tuples naming models."""
    literals: dict[str, ast.AST] = {}
    aliases: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if _name(node.value) in foreign and isinstance(node.value, ast.Name):
                aliases.setdefault(node.targets[0].id, set()).add(node.value.id)
            elif isinstance(node.value, (ast.Tuple, ast.List)):
                literals[node.targets[0].id] = node.value
    for node in ast.walk(tree):
        if not isinstance(node, ast.For) or not isinstance(node.target, ast.Tuple):
            continue
        iterable = literals.get(node.iter.id) if isinstance(node.iter, ast.Name) else node.iter
        for row in getattr(iterable, "elts", []):
            for target, value in zip(node.target.elts, getattr(row, "elts", []), strict=False):
                if isinstance(target, ast.Name) and isinstance(value, ast.Name) and value.id in foreign:
                    aliases.setdefault(target.id, set()).add(value.id)
    return aliases


def foreign_writes(path: Path, owners: dict[str, str], root: Path = BACKEND) -> set[tuple[str, str, int]]:
    """(model, what, line) for each write of another domain's model in the module at `path`."""
    domain = path.relative_to(root).parts[0]
    foreign = {model for model, owner in owners.items() if owner != domain}
    found: set[tuple[str, str, int]] = set()
    tree = ast.parse(path.read_text())
    aliases = _aliases(tree, foreign)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called = _name(node.func)
            if called in foreign:
                found.add((called, "constructs", node.lineno))
            elif called in WRITERS and node.args:
                written = _name(node.args[0])
                for model in {written} & foreign or aliases.get(written, set()):
                    found.add((model, f"{called}()", node.lineno))
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        bound: dict[str, str] = {}
        arguments = function.args
        for argument in arguments.posonlyargs + arguments.args + arguments.kwonlyargs:
            models = _models_in(argument.annotation, foreign)
            if len(models) == 1:
                bound[argument.arg] = models.pop()
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                if model := _loaded_model(node.value, foreign):
                    bound[node.targets[0].id] = model
        for node in ast.walk(function):
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
            for target in (t for group in targets for t in _targets(group)):
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                        and target.value.id in bound:
                    found.add((bound[target.value.id], f"sets .{target.attr}", node.lineno))
    return found


def test_models_are_written_only_by_their_owner():
    owners = model_owners()
    seen: set[tuple[str, str]] = set()
    breaches = []
    for path in sorted(BACKEND.rglob("*.py")):
        relative = path.relative_to(BACKEND)
        if len(relative.parts) < 2:
            continue  # create_app, cli, health: wiring, not a domain
        for model, what, line in sorted(foreign_writes(path, owners)):
            key = (relative.as_posix(), model)
            if key in ALLOWED:
                seen.add(key)
                continue
            breaches.append(f"backend/{relative}:{line} {what} {model} (owned by {owners[model]})")
    assert not breaches, "Write through the owner's service functions:\n" + "\n".join(breaches)
    assert not set(ALLOWED) - seen, f"No longer needed, remove from ALLOWED: {sorted(set(ALLOWED) - seen)}"


def test_the_check_finds_a_foreign_write(tmp_path):
    """The check itself can fail: a sampling module opening a task the old way is caught."""
    module = tmp_path / "sampling" / "bad.py"
    module.parent.mkdir()
    module.write_text(
        "def escalate(session, sample):\n"
        "    task = InspectionTask(kind='follow_up')\n"
        "    session.execute(insert(InspectionTask), [])\n"
        "    recall = session.get(Recall, sample.recall_id)\n"
        "    recall.status = 'proposed'\n"
        "def waive(task: InspectionTask | None):\n"
        "    task.status, other = 'cancelled', 1\n"
        "def stamp(session):\n"
        "    table = Recall\n"
        "    session.execute(update(table).values(escalated_at=1))\n"
    )
    owners = {"InspectionTask": "inspections", "Recall": "recalls", "Sample": "sampling"}
    found = {(model, what) for model, what, _ in foreign_writes(module, owners, tmp_path)}
    assert found == {("InspectionTask", "constructs"), ("InspectionTask", "insert()"),
                     ("Recall", "sets .status"), ("InspectionTask", "sets .status"),
                     ("Recall", "update()")}

