"""The exporters' own nbconvert preprocessors: the checks before upload, and the
parameters of a papermill run shown once."""

import os

from nbconvert.preprocessors import Preprocessor

from hw04.checks import upload_warnings


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


class GradescopeChecks(Preprocessor):
    """Log :func:`hw04.checks.upload_warnings` of the notebook; change nothing."""

    def preprocess(self, nb, resources):
        folder = resources.get("metadata", {}).get("path") or os.getcwd()
        found = upload_warnings(nb, folder)
        for message in found:
            self.log.warning("Before uploading: %s", message)
        resources["gradescope_warnings"] = found
        return nb, resources


class EffectiveParameters(Preprocessor):
    """Show the parameters of a papermill run once: the values papermill injected
    (``nb.metadata.papermill.parameters``) written into the ``parameters`` cell,
    each with its comment or the cell's own value, and the injected cell dropped."""

    def preprocess(self, nb, resources):
        from papermill.translators import PythonTranslator

        injected = any("injected-parameters" in _tags(c) for c in nb.cells)
        original = next((c for c in nb.cells if "parameters" in _tags(c)), None)
        values = nb.metadata.get("papermill", {}).get("parameters")
        if not injected or original is None or values is None:
            return nb, resources
        values = dict(values)
        lines = []
        for param in PythonTranslator.inspect(original):
            value = param.default
            if param.name in values:
                value = PythonTranslator.translate(values.pop(param.name))
            comment = f"  # {param.help}" if param.help else ""
            if value != param.default:  # a student knows the cell's own value
                comment = f"  # set for this run (cell: {param.default})"
            lines.append(f"{param.name} = {value}{comment}")
        lines += [f"{k} = {PythonTranslator.translate(v)}" for k, v in values.items()]
        original.source = "\n".join(lines)
        nb.cells = [c for c in nb.cells if "injected-parameters" not in _tags(c)]
        return nb, resources
