"""The modules of ``aftersales.core`` import each other one way: no cycle, no import hidden in a function.

Three checks, over every module of the package but its tests and migrations:

- Each module imports alone, as the first of core's modules, in a fresh interpreter. Nearly every
  module reaches the models, and a model class can only be created once Django's app registry knows
  the apps; but after ``django.setup()`` most of core is already imported (models, admin, ready()),
  and importing a module then proves nothing. So a fresh interpreter starts Django's set-up, lets it
  read the app configs (the registry's first phase, which imports only the ``apps`` modules) and,
  where the registry would import the first models module, imports the module under test instead:
  the module itself, not Django's loading order, decides in which order core's modules run, and a
  cycle among them fails there ("partially initialized module"). To stay fast, that interpreter forks
  one child per module at that point (each starts with none of core's modules loaded) rather than
  starting Django once per module; where there is no fork, one interpreter a module. The few modules
  Django loads only after its set-up (``AFTER_SET_UP``) are imported after it.
- The module-level import graph, read from the source with ``ast``, has no cycle. An import of
  ``a.b.c`` also runs ``a/b/__init__`` to its end first, so it counts as an import of ``a.b`` too,
  except from a module inside ``a.b``: that package's ``__init__`` is already running then, and
  Python does not wait for it. (A package ``__init__`` that imports its own modules is no cycle; a
  module that imports a name from its package's ``__init__`` is.) Imports under ``TYPE_CHECKING``
  are not run and do not count.
- No import inside a function, but where Django requires one (``AppConfig.ready``) or where listed
  in ``FUNCTION_IMPORTS_ALLOWED`` with the reason.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import aftersales.core

SOURCE = Path(aftersales.core.__file__).parent
PACKAGE = "aftersales.core"
PROJECT = SOURCE.parents[2]  # the folder holding config/ and src/

# (module, function) -> why its imports stay inside it.
FUNCTION_IMPORTS_ALLOWED = {
    ("aftersales.core.apps", "CoreConfig.ready"): "Django runs ready() once the models are loaded (signals, checks)",
}

# Modules that Django loads only once its set-up is done; they are imported after it.
AFTER_SET_UP = {
    "aftersales.core.urls": "a URL conf: its path converters are registered by CoreConfig.ready()",
}

# Run with module names; prints one "FAILED <module>" block per module that does not import, exits 1 if any.
IMPORT_ALONE = """
import importlib, os, sys, tempfile, traceback

import django
from django.apps import AppConfig

early = [name for name in sys.argv[1:] if not name.startswith("late:")]
late = [name[len("late:"):] for name in sys.argv[1:] if name.startswith("late:")]
load_models = AppConfig.import_models
failed = []


def import_alone(name):
    AppConfig.import_models = load_models  # later loads (get_user_model, say) are Django's own
    before = sorted(module for module in sys.modules if module.startswith("aftersales.core."))
    if before not in ([], ["aftersales.core.apps"]):
        raise RuntimeError(f"imported before {name}: {before}")
    importlib.import_module(name)


def in_child(name, log):
    try:
        import_alone(name)
    except BaseException:
        with open(log, "w") as file:
            traceback.print_exc(file=file)
        os._exit(1)
    os._exit(0)


def import_each(app_config):
    # The registry has read the app configs and is about to import the first models module. Each module
    # is imported from this state in a child process of its own (without fork: here, one module a run).
    if not hasattr(os, "fork"):
        for name in early:
            import_alone(name)
        load_models(app_config)
        return
    running = {}
    with tempfile.TemporaryDirectory() as folder:
        for index, name in enumerate([*early, None]):
            while running and (name is None or len(running) >= (os.cpu_count() or 2)):
                pid, status = os.wait()
                done_name, log = running.pop(pid)
                if status != 0:
                    with open(log) as file:
                        failed.append((done_name, file.read() or f"exit status {status}"))
            if name is None:
                break
            log = os.path.join(folder, str(index))
            open(log, "w").close()
            pid = os.fork()
            if pid == 0:
                in_child(name, log)
            running[pid] = (name, log)
    if failed:
        report()  # the set-up would fail the same way
    AppConfig.import_models = load_models
    load_models(app_config)


def report():
    for name, output in failed:
        print("FAILED", name, output, sep="\\n")
    sys.exit(1 if failed else 0)


AppConfig.import_models = import_each
django.setup()
for name in late:
    try:
        importlib.import_module(name)
    except Exception:
        failed.append((name, traceback.format_exc()))
report()
"""


@dataclass(frozen=True)
class Module:
    name: str
    path: Path

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"


def core_modules() -> list[Module]:
    modules = []
    for path in sorted(SOURCE.rglob("*.py")):
        parts = path.relative_to(SOURCE).with_suffix("").parts
        if "tests" in parts or "migrations" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules.append(Module(".".join((PACKAGE, *parts)), path))
    return modules


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


@dataclass(frozen=True)
class ImportAt:
    node: ast.Import | ast.ImportFrom
    scope: tuple[str, ...]  # the classes and functions it is nested in
    in_function: bool


def _imports(tree: ast.AST, scope: tuple[str, ...] = (), in_function: bool = False) -> Iterator[ImportAt]:
    """Every import statement of ``tree`` with where it is; the bodies of ``if TYPE_CHECKING:`` are skipped."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield ImportAt(node, scope, in_function)
        elif isinstance(node, ast.If) and _is_type_checking(node):
            for other in node.orelse:
                yield from _imports(ast.Module(body=[other], type_ignores=[]), scope, in_function)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _imports(node, (*scope, getattr(node, "name", "<lambda>")), True)
        elif isinstance(node, ast.ClassDef):
            yield from _imports(node, (*scope, node.name), in_function)
        else:
            yield from _imports(node, scope, in_function)


def _imported_names(module: Module, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The dotted names an import statement loads (a ``from`` import: the module and each name in it)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.name if module.is_package else module.name.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def import_graph(modules: list[Module]) -> dict[str, set[str]]:
    """Module -> the core modules that must have run to their end before it can run (module-level imports)."""
    known = {module.name for module in modules}
    graph: dict[str, set[str]] = {}
    for module in modules:
        tree = ast.parse(module.path.read_text(), filename=str(module.path))
        needs: set[str] = set()
        for found in _imports(tree):
            if found.in_function:
                continue
            for name in _imported_names(module, found.node):
                if name in known:
                    needs.add(name)
                parts = name.split(".")
                for end in range(1, len(parts)):
                    package = ".".join(parts[:end])
                    if package in known and not module.name.startswith(package + "."):
                        needs.add(package)
        needs.discard(module.name)
        graph[module.name] = needs
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path that ends where it starts, or None."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(name: str) -> list[str] | None:
        path.append(name)
        on_path.add(name)
        for needed in sorted(graph[name]):
            if needed in on_path:
                return [*path[path.index(needed) :], needed]
            if needed not in done:
                cycle = visit(needed)
                if cycle is not None:
                    return cycle
        path.pop()
        on_path.discard(name)
        done.add(name)
        return None

    for name in sorted(graph):
        if name not in done:
            cycle = visit(name)
            if cycle is not None:
                return cycle
    return None


def test_each_module_imports_alone_in_a_fresh_interpreter() -> None:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    names = [module.name if module.name not in AFTER_SET_UP else f"late:{module.name}" for module in core_modules()]

    def run(arguments: list[str]) -> str:
        result = subprocess.run(  # noqa: S603 - this interpreter running our own code
            [sys.executable, "-c", IMPORT_ALONE, *arguments],
            cwd=PROJECT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        return "" if result.returncode == 0 else result.stdout + result.stderr

    if hasattr(os, "fork"):
        failures = [run(names)]
    else:
        with ThreadPoolExecutor(max_workers=2) as pool:
            failures = list(pool.map(run, [[name] for name in names]))

    output = "".join(failures)
    assert output == "", output


def test_core_import_graph_has_no_cycle() -> None:
    graph = import_graph(core_modules())

    cycle = find_cycle(graph)

    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_graph_sees_a_cycle_through_a_package_init() -> None:
    # Given a package whose __init__ imports a module that imports from a sibling by its full name, and
    # a module outside it that the sibling needs, which needs the package back.
    modules = {
        "p": "from p.a import x\n",
        "p.a": "from p.b import y\nx = 1\n",
        "p.b": "import q\ny = 2\n",
        "q": "from p.a import x\n",
    }

    graph = _graph_of(modules)

    # Then p.a needs p.b (not p, whose __init__ is running), and q needs p's __init__ to end.
    assert graph == {"p": {"p.a"}, "p.a": {"p.b"}, "p.b": {"q"}, "q": {"p", "p.a"}}
    assert find_cycle(graph) == ["p", "p.a", "p.b", "q", "p"]


def test_no_import_inside_functions() -> None:
    found = []
    allowed_used = set()
    for module in core_modules():
        tree = ast.parse(module.path.read_text(), filename=str(module.path))
        for at in _imports(tree):
            where = ".".join(at.scope)
            if not at.in_function:
                continue
            if (module.name, where) in FUNCTION_IMPORTS_ALLOWED:
                allowed_used.add((module.name, where))
            else:
                path = module.path.relative_to(PROJECT)
                found.append(f"{path}:{at.node.lineno} in {where}: {ast.unparse(at.node)}")

    assert found == [], "\n".join(found)
    assert allowed_used == set(FUNCTION_IMPORTS_ALLOWED), "an allowed function-level import is gone: drop its entry"


def _graph_of(sources: dict[str, str]) -> dict[str, set[str]]:
    """The import graph of made-up modules (name -> source; a name with modules under it is a package)."""
    with tempfile.TemporaryDirectory() as folder:
        modules = []
        for name, source in sources.items():
            is_package = any(other.startswith(name + ".") for other in sources)
            parts = name.split(".")
            path = Path(folder, *parts, "__init__.py") if is_package else Path(folder, *parts).with_suffix(".py")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(source)
            modules.append(Module(name, path))
        return import_graph(modules)
