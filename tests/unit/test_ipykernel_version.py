"""show() on ipykernel 7.0.0 / 7.0.1 warns once, with the fix; other versions say nothing."""

from __future__ import annotations

import warnings

import ipykernel
import pytest

import hops_widgets
from hops_widgets import _ipykernel

from .fakes import FakeDeployment
from .test_widget import recording_comm  # noqa: F401 - the autouse fixture: comms that record


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(_ipykernel, "_warned", False)


@pytest.mark.parametrize("version", ["7.0.0", "7.0.1"])
def test_show_warns_once_on_the_broken_ipykernels(fresh, monkeypatch, version):
    monkeypatch.setattr(ipykernel, "__version__", version)
    with pytest.warns(UserWarning, match=r"(?i)upgrade ipykernel to 7\.1 or later") as caught:
        w = hops_widgets.show(FakeDeployment(f"old-{version}"), display=False, first_update_s=0)
    (warning,) = caught
    assert f"ipykernel {version}" in str(warning.message) and "ipywidgets#4001" in str(warning.message)
    assert warning.filename == __file__, "the warning points at the show() call"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = hops_widgets.show(FakeDeployment(f"again-{version}"), display=False, first_update_s=0)
    w.close()
    again.close()


@pytest.mark.parametrize("version", ["6.29.5", "7.1.0", "7.4.0", "8.0.0a1", "", "dev"])
def test_other_ipykernels_say_nothing(fresh, monkeypatch, version):
    monkeypatch.setattr(ipykernel, "__version__", version)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w = hops_widgets.show(FakeDeployment(f"ok-{version}"), display=False, first_update_s=0)
    w.close()
    assert _ipykernel.check_ipykernel("7.1") is True
    with pytest.warns(UserWarning):
        assert _ipykernel.check_ipykernel("7.0.1") is False
