"""An import-linter contract for what its built-in ones cannot say: "these modules never
import that part of an external package" (import-linter only forbids whole external packages,
and the engine process legitimately uses QtCore and QtMultimedia but never QtWidgets)."""

from __future__ import annotations

import re
from typing import Any

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


class ForbiddenSubmoduleContract(Contract):
    """Source modules (and their descendants) must not import the listed external submodules."""

    type_name = "forbidden_submodules"

    source_modules = fields.ListField(subfield=fields.ModuleField())
    forbidden_submodules = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        violations: list[dict[str, Any]] = []
        for name in self.forbidden_submodules:  # type: ignore[attr-defined]
            top, _, sub = str(name).partition(".")
            # Either "import top.sub..." / "from top.sub... import" or "from top import sub".
            pattern = re.compile(
                rf"\b{re.escape(top)}\.{re.escape(sub)}\b|from\s+{re.escape(top)}\s+import\s+[^#]*\b{re.escape(sub)}\b"
            )
            for source in self.source_modules:  # type: ignore[attr-defined]
                importers = {source.name} | graph.find_descendants(source.name)
                for importer in sorted(importers):
                    if top not in graph.find_modules_directly_imported_by(importer):
                        continue
                    for detail in graph.get_import_details(importer=importer, imported=top):
                        if pattern.search(detail["line_contents"]):
                            violations.append(
                                {
                                    "importer": importer,
                                    "forbidden": str(name),
                                    "line_number": detail["line_number"],
                                    "line": detail["line_contents"],
                                }
                            )
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["violations"]:
            output.print_error(
                f"{item['importer']} is not allowed to import {item['forbidden']}:", bold=True
            )
            output.print_error(f"-   line {item['line_number']}: {item['line']}", bold=False)
            output.new_line()
