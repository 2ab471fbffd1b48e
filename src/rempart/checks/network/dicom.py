"""DICOM (X-ray imaging): the storage service accepts any called AE title."""

from __future__ import annotations

from rempart.checks import refs
from rempart.checks.base import CheckContext, CheckMeta, Hit, Reference, Text, Who, check
from rempart.core.model import Evidence, Service, Severity
from rempart.core.observations import DicomObservation


@check(
    CheckMeta(
        id="NET-DICOM-ANY-AE",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Serveur d'imagerie (DICOM) acceptant n'importe quel appareil",
            en="Imaging server (DICOM) accepting any device",
        ),
        risk=Text(
            fr="Le logiciel de radiologie accepte une connexion DICOM sous un nom inventé. "
            "N'importe quel appareil du réseau peut donc lui envoyer, et souvent lui demander, "
            "des images de patients.",
            en="The imaging software accepts a DICOM connection under a made-up name. Any device "
            "on the network can therefore send it, and often request, patient images.",
        ),
        remediation=Text(
            fr="Demandez à l'éditeur du logiciel de radiologie de n'accepter que les noms "
            "d'appareil (AE title) et adresses connus — le capteur, le panoramique, les postes de "
            "consultation — et de refuser les autres.",
            en="Ask the imaging software's vendor to accept only known device names (AE titles) "
            "and addresses — the sensor, the panoramic unit, the viewing computers — and to "
            "refuse the others.",
        ),
        who=(Who.SOFTWARE_VENDOR, Who.IT_PROVIDER),
        references=(
            refs.ANSSI_19,
            refs.ANS_ACCES,
            Reference(
                "DICOM PS3.15, profils de sécurité",
                "https://dicom.nema.org/medical/dicom/current/output/html/part15.html",
            ),
        ),
        rationale=(
            "medium: patient images reachable by any LAN device, but DICOM needs a tool and "
            "knowledge."
        ),
        categories=("imaging", "authentication", "patient-data"),
    )
)
def dicom_any_ae(service: Service, ctx: CheckContext) -> Hit:
    obs = service.observation(DicomObservation)
    if not isinstance(obs, DicomObservation) or not obs.association_accepted:
        return None
    evidence = [
        Evidence("called AE title (made up)", obs.called_ae or "-"),
        Evidence("calling AE title (made up)", obs.calling_ae or "-"),
        Evidence("association", "accepted"),
    ]
    if obs.echo_status is not None:
        evidence.append(Evidence("C-ECHO status", f"0x{obs.echo_status:04X}"))
    return tuple(evidence)
