"""Real dcmtk peers: storescp accepts any called AE title (the risky default), refuses
everything with --refuse; dcmqrscp rejects a called AE title it does not serve.

storescp has no option to check the called AE title (``-aet`` only sets its own), so
the "refuses a wrong called AE" case uses dcmqrscp, whose AETable lists the titles it
answers to. dcmtk 3.6 listens on every interface: our traffic still goes to 127.0.4.8.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rempart.discover.probes import dicom
from tests.peers._servers_b import ctx, free_port, process, wait_tcp
from tests.support import require_binary

pytestmark = pytest.mark.peer

ADDRESS = "127.0.4.8"


@pytest.fixture
def storescp(tmp_path: Path) -> Iterator[int]:
    binary = require_binary("storescp")
    port = free_port("0.0.0.0")
    with process([binary, "-aet", "RADIO", "-od", str(tmp_path), str(port)]) as proc:
        wait_tcp(ADDRESS, port, proc=proc)
        yield port


@pytest.fixture
def refusing_storescp(tmp_path: Path) -> Iterator[int]:
    binary = require_binary("storescp")
    port = free_port("0.0.0.0")
    with process([binary, "--refuse", "-od", str(tmp_path), str(port)]) as proc:
        wait_tcp(ADDRESS, port, proc=proc)
        yield port


@pytest.fixture
def dcmqrscp(tmp_path: Path) -> Iterator[int]:
    binary = require_binary("dcmqrscp")
    port = free_port("0.0.0.0")
    db = tmp_path / "db"
    db.mkdir()
    config = tmp_path / "dcmqrscp.cfg"
    config.write_text(
        f"NetworkTCPPort = {port}\nMaxPDUSize = 16384\nMaxAssociations = 4\n"
        "HostTable BEGIN\nHostTable END\nVendorTable BEGIN\nVendorTable END\n"
        f"AETable BEGIN\nRADIO_PACS {db} R (10, 64mb) ANY\nAETable END\n"
    )
    with process([binary, "-s", "-c", str(config), str(port)]) as proc:
        wait_tcp(ADDRESS, port, proc=proc)
        yield port


def test_storescp_accepts_a_stranger_with_a_wrong_called_ae(storescp: int) -> None:
    obs = dicom.probe(ADDRESS, storescp, ctx())
    assert obs is not None
    assert obs.calling_ae == "REMPART_AUDIT" and obs.called_ae == "NOT_A_REAL_AE"
    assert obs.association_accepted and obs.echo_status == 0x0000
    assert obs.implementation_class_uid is not None
    assert obs.implementation_class_uid.startswith("1.2.276.0.7230010.3")  # OFFIS dcmtk root
    assert obs.implementation_version is not None and "DCMTK" in obs.implementation_version


def test_storescp_refusing_everything_is_reported_rejected(refusing_storescp: int) -> None:
    obs = dicom.probe(ADDRESS, refusing_storescp, ctx())
    assert obs is not None and not obs.association_accepted
    assert obs.reject_reason is not None and obs.echo_status is None


def test_dcmqrscp_rejects_an_unknown_called_ae_and_says_why(dcmqrscp: int) -> None:
    obs = dicom.probe(ADDRESS, dcmqrscp, ctx())
    assert obs is not None and not obs.association_accepted
    assert obs.reject_reason is not None
    assert "called ae title not recognised" in obs.reject_reason.lower()


def test_dcmqrscp_answers_its_own_ae_title(dcmqrscp: int) -> None:
    obs = dicom.probe(ADDRESS, dcmqrscp, ctx(), called_ae="RADIO_PACS")
    assert obs is not None and obs.association_accepted and obs.echo_status == 0
