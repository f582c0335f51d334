"""The package as installed: grammar inside it, imports flowing one way, no eval/exec/pickle."""

import ast
import os
import pathlib
import subprocess
import sys

import diffcli

PACKAGE = pathlib.Path(diffcli.__file__).resolve().parent
ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_ci_tests_the_installed_package_not_the_source_tree():
    source = os.environ.get("DIFFCLI_TEST_INSTALLED")
    if source:  # set by .ci/run
        assert not str(PACKAGE).startswith(str(pathlib.Path(source).resolve())), PACKAGE


def test_grammar_ships_inside_the_package():
    if os.environ.get("DIFFCLI_TEST_INSTALLED"):
        assert (PACKAGE / "grammar" / "diffcli.lark").is_file()
    done = subprocess.run([sys.executable, "-c", "import diffcli; print(float(diffcli.evaluate('x = 2; x * x').value))"],
                          capture_output=True, text=True, cwd="/", timeout=60)
    assert done.stdout.strip() == "4.0", done.stderr


def _imports(path):
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names |= {base} if node.module else {base + a.name for a in node.names}
    return names


# module -> what it must not import (SPEC and STYLE layering: cli -> parser/render ->
# functions -> engine -> errors; the library never imports click; only render/cli use rich)
FORBIDDEN = {
    "errors.py": {"numpy", "lark", "rich", "click", ".engine", ".functions", ".parser", ".cli"},
    # engine's operators (x + y) reach functions.py through one deferred import: the
    # Function classes live there, the operators in Variable's class body.
    "engine.py": {"lark", "rich", "click", ".parser", ".program", ".render", ".cli"},
    "functions.py": {"lark", "rich", "click", ".parser", ".program", ".render", ".cli"},
    "parser.py": {"rich", "click", ".program", ".render", ".cli"},
    "program.py": {"rich", "click", ".render", ".cli"},
    "report.py": {"rich", "click", ".render", ".cli"},
    "sources.py": {"rich", "click", ".render", ".cli"},
    "batch.py": {"rich", "click", ".render", ".cli"},
    "render.py": {"click", ".cli"},
    "graph.py": {"rich", "click", ".render", ".cli"},
    "check.py": {"rich", "click", ".render", ".cli"},
}


def test_imports_flow_one_way():
    for module, forbidden in FORBIDDEN.items():
        imported = _imports(PACKAGE / module)
        bad = {name for name in imported if name.split(".")[0] in forbidden or
               any(name == f or name.startswith(f + ".") for f in forbidden)}
        assert not bad, f"{module} imports {bad}"


def test_every_module_has_its_layering_rule():
    modules = {p.name for p in PACKAGE.glob("*.py")} - {"__init__.py", "__main__.py", "cli.py"}
    assert modules <= set(FORBIDDEN), modules - set(FORBIDDEN)


def test_no_eval_exec_pickle_or_literal_eval_in_the_package():
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                assert node.id not in {"eval", "exec", "literal_eval"}, f"{path.name}: {node.id}"
            if isinstance(node, ast.Attribute):
                assert node.attr not in {"literal_eval"}, path.name
        assert "pickle" not in _imports(path), path.name


def test_json_path_does_not_import_rich():
    code = ("import sys; from diffcli.cli import main\n"
            "try:\n    main(['eval', '--json', 'x = 1; x'])\nexcept SystemExit: pass\n"
            "print('rich' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd="/")
    assert done.stderr.strip() == "False"


def test_every_command_and_option_has_help_and_is_in_the_readme():
    import click

    from diffcli.cli import main

    readme = (ROOT / "README.md").read_text()
    for name, command in main.commands.items():
        assert f"diffcli {name}" in readme, f"README does not show `diffcli {name}`"
        assert command.help and "Example" in command.help, f"{name} has no help with an example"
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.opts} has no help"
                assert any(f"`{opt}" in readme or f"{opt} " in readme or f"{opt}`" in readme
                           for opt in param.opts), f"README does not document {name} {param.opts}"
