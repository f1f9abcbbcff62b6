"""hops_widgets._hosts: the marimo version warning and the cell-lifecycle hook, without a browser.

The browser test (tests/e2e/test_e2e_marimo.py) shows both at work under ``marimo run``; these pin
the rules: which versions warn, that it warns once, and that outside marimo nothing happens.
"""

from __future__ import annotations

import sys
import types
import warnings

import pytest

from hops_widgets import _hosts


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    monkeypatch.setattr(_hosts, "_warned", False)


@pytest.mark.parametrize("version", ["0.23.14", "0.23.16", "0.25.2", "1.0.0", "0.24.0rc1", "unknown", ""])
def test_recent_or_unknown_versions_do_not_warn(version):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _hosts.check_marimo_version(version)


def test_an_old_marimo_warns_once_with_the_fix():
    expected = r"marimo 0\.23\.13 drops widget updates.*once per polling interval.*'marimo>=0\.23\.14'"
    with pytest.warns(UserWarning, match=expected) as caught:
        assert not _hosts.check_marimo_version("0.23.13")
    assert caught[0].filename == __file__  # it names the caller's line, not one inside hops_widgets
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not _hosts.check_marimo_version("0.20.4")  # once per process


def test_outside_marimo_adopt_does_nothing(monkeypatch):
    monkeypatch.delitem(sys.modules, "marimo", raising=False)
    closed = []
    widget = types.SimpleNamespace(close=lambda: closed.append(True))
    _hosts.adopt(widget)
    assert "marimo" not in sys.modules, "adopt() must not import marimo"
    assert closed == []


def test_marimo_imported_but_not_running_a_notebook(monkeypatch):
    fake = types.SimpleNamespace(__version__="0.1.0", running_in_notebook=lambda: False)
    monkeypatch.setitem(sys.modules, "marimo", fake)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a plain script that imports marimo: no warning
        _hosts.adopt(types.SimpleNamespace(close=lambda: None))


def test_under_an_old_marimo_adopt_warns(monkeypatch):
    fake = types.SimpleNamespace(__version__="0.23.0", running_in_notebook=lambda: True)
    monkeypatch.setitem(sys.modules, "marimo", fake)
    with pytest.warns(UserWarning, match="marimo >= 0.23.14 delivers them at once"):
        _hosts.adopt(types.SimpleNamespace(close=lambda: None))  # no marimo runtime: no hook, no error


def test_the_lifecycle_item_closes_its_widget_once_it_is_disposed():
    closed = []

    class Widget:
        def close(self):
            closed.append(True)

    w = Widget()
    item = _hosts._CloseWithCell(w)
    item.create(None)
    assert closed == []
    assert item.dispose(None, deletion=False) is True
    assert closed == [True]
    del w
    assert item.dispose(None, deletion=True) is True  # a widget already gone: nothing to do
