"""What widget tests import (not fixtures): a module name of its own.

``from conftest import …`` resolved to whichever ``conftest`` was imported first
(``tests/batch`` has one too), so a test run naming both folders failed to collect.
"""


def capture_messages(monkeypatch, module):
    """Record the napari error and warning notifications a widget module shows."""
    shown = {"error": [], "warning": []}
    monkeypatch.setattr(module, "show_error", shown["error"].append)
    monkeypatch.setattr(module, "show_warning", shown["warning"].append)
    return shown
