"""The package's style rule (issue 22): no function of repro/ is over 80 lines, counted from its
``def`` to its last line (docstring and comments included), on the parsed source."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "repro"
LIMIT = 80


def long_functions(root: Path, limit: int = LIMIT) -> list[str]:
    """``path:line name (N lines)`` of every function or method under `root` longer than `limit`."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > limit:
                    found.append(f"{path.relative_to(root.parent)}:{node.lineno} {node.name} ({n} lines)")
    return found


def test_the_audit_counts_lines_from_def_to_the_end(tmp_path):
    """Known truth: functions of exactly LIMIT lines pass (``fits``, and ``inner``, counted on its
    own), the one around ``inner`` (LIMIT + 2 lines) is named."""
    body = "\n".join(f"    x{i} = {i}" for i in range(LIMIT - 1))
    (tmp_path / "ok.py").write_text(f"def fits():\n{body}\n")
    (tmp_path / "long.py").write_text(f"def outer():\n    def inner():\n{body.replace('    ', '        ')}\n"
                                      f"    return inner\n")
    assert long_functions(tmp_path) == [f"{tmp_path.name}/long.py:1 outer ({LIMIT + 2} lines)"]


def test_no_function_of_the_package_is_over_80_lines():
    assert long_functions(PACKAGE) == []
