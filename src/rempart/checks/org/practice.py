"""How the practice runs: updates and antivirus, staff awareness, the IT provider and the
vendor (contract, remote access, HDS hosting), patients' Wi-Fi, the incident plan and the
GDPR duties (register, 72-hour breach notification)."""

from __future__ import annotations

from rempart.checks.base import CheckContext, CheckMeta, Hit, Text, Who, org_check
from rempart.checks.org._rules import (
    ANS_FICHE_REFLEXE,
    ANS_HDS,
    ANS_MISES_A_JOUR,
    ANS_POSTE,
    ANS_PRESTATAIRES,
    ANS_RGPD,
    ANSSI12_2,
    ANSSI12_3,
    ANSSI12_5,
    ANSSI12_8,
    ANSSI12_11,
    ANSSI_2,
    ANSSI_3,
    ANSSI_14,
    ANSSI_20,
    ANSSI_34,
    ANSSI_35,
    ANSSI_40,
    CNIL_REGISTRE,
    CNIL_SANTE,
    CNIL_VIOLATION,
    CYBER_RANCONGICIEL,
    evidence,
    rule,
)
from rempart.core.model import Severity
from rempart.core.survey import DONT_KNOW, NO, YES, Answers

org_check(
    CheckMeta(
        id="ORG-UPDATES-NOT-AUTOMATIC",
        severity=Severity.HIGH,
        title=Text(
            fr="Les mises à jour ne sont pas installées régulièrement",
            en="Updates are not installed regularly",
        ),
        risk=Text(
            fr="La plupart des attaques utilisent des failles déjà corrigées par une mise à "
            "jour que personne n'a installée.",
            en="Most attacks use holes already fixed by an update nobody installed.",
        ),
        remediation=Text(
            fr="Sur chaque ordinateur : Paramètres → Windows Update → Options avancées, "
            "laissez les mises à jour automatiques ; demandez au prestataire informatique de "
            "vérifier chaque mois les postes, le serveur, le NAS et la box, par écrit.",
            en="On each computer: Settings → Windows Update → Advanced options, keep automatic "
            "updates on; ask the IT provider to check the computers, server, NAS and router "
            "every month, in writing.",
        ),
        who=(Who.IT_PROVIDER, Who.ASSISTANT),
        references=(ANS_MISES_A_JOUR, ANSSI_34, ANSSI12_2),
        rationale=(
            "high: unpatched known vulnerabilities are a main ransomware entry; 'don't know' "
            "fires too (if nobody knows, nobody checks)."
        ),
        categories=("updates",),
    )
)(rule("updates.automatic", NO, DONT_KNOW))

org_check(
    CheckMeta(
        id="ORG-UNSUPPORTED-SYSTEMS",
        severity=Severity.HIGH,
        title=Text(
            fr="Un ordinateur fonctionne sous une version de Windows abandonnée",
            en="A computer runs a version of Windows that is no longer supported",
        ),
        risk=Text(
            fr="Windows 7, 8 et plus anciens ne reçoivent plus de correctifs : chaque faille "
            "découverte reste ouverte pour toujours, et un seul poste suffit pour entrer dans "
            "le réseau.",
            en="Windows 7, 8 and older no longer receive fixes: every hole found stays open "
            "forever, and one computer is enough to get into the network.",
        ),
        remediation=Text(
            fr="Prévoyez avec le prestataire informatique son remplacement ou sa mise à niveau ; "
            "si le poste de radiographie l'exige, demandez à son fabricant une version à jour "
            "et, en attendant, débranchez-le d'internet.",
            en="Plan with the IT provider to replace or upgrade it; if the X-ray computer needs "
            "it, ask its maker for a current version and, meanwhile, cut it off from the "
            "internet.",
        ),
        who=(Who.IT_PROVIDER, Who.DENTIST),
        references=(ANSSI_35, ANS_MISES_A_JOUR),
        rationale=(
            "high: permanent unfixable holes; 'don't know' does not fire (the host and network "
            "checks see versions themselves)."
        ),
        categories=("updates", "end-of-life"),
    )
)(rule("updates.unsupported_systems", YES))

org_check(
    CheckMeta(
        id="ORG-NO-ANTIVIRUS",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Un ordinateur n'a pas d'antivirus actif",
            en="A computer has no active antivirus",
        ),
        risk=Text(
            fr="Sans antivirus, les logiciels malveillants les plus courants s'exécutent sans "
            "obstacle.",
            en="Without an antivirus, the most common malware runs unhindered.",
        ),
        remediation=Text(
            fr="Sur chaque ordinateur : Paramètres → Sécurité Windows → Protection contre les "
            "virus et menaces doit être vert ; sinon, demandez au prestataire informatique de "
            "réactiver Microsoft Defender.",
            en="On each computer: Settings → Windows Security → Virus & threat protection must "
            "be green; if not, ask the IT provider to turn Microsoft Defender back on.",
        ),
        who=(Who.ASSISTANT, Who.IT_PROVIDER),
        references=(ANSSI_14, ANS_POSTE),
        rationale="medium: a baseline layer; 'don't know' fires too.",
        categories=("workstation",),
    )
)(rule("updates.antivirus", NO, DONT_KNOW))


@org_check(
    CheckMeta(
        id="ORG-NO-AWARENESS",
        severity=Severity.MEDIUM,
        title=Text(
            fr="L'équipe n'a pas été sensibilisée aux courriels piégés",
            en="The team has not been made aware of phishing",
        ),
        risk=Text(
            fr="Un courriel piégé (fausse facture, faux patient, faux colis) ouvert par une "
            "seule personne suffit à installer un rançongiciel ; une équipe qui ne sait pas "
            "à qui le signaler laisse l'attaque avancer.",
            en="One booby-trapped e-mail (fake invoice, fake patient, fake parcel) opened by "
            "one person is enough to install ransomware; a team that does not know whom to "
            "tell lets the attack go on.",
        ),
        remediation=Text(
            fr="Prenez 30 minutes en équipe avec les vidéos et fiches de cybermalveillance.gouv.fr "
            "sur l'hameçonnage, et désignez la personne à prévenir en cas de doute.",
            en="Spend 30 minutes as a team on the cybermalveillance.gouv.fr videos and sheets "
            "on phishing, and name the person to tell when in doubt.",
        ),
        who=(Who.DENTIST,),
        references=(ANSSI_2, ANSSI12_8),
        rationale=(
            "medium: phishing is a main entry, and awareness is cheap; fires on training "
            "'never' or on nobody knowing whom to tell."
        ),
        categories=("awareness",),
    )
)
def no_awareness(answers: Answers, ctx: CheckContext) -> Hit:
    found = []
    if answers.value("awareness.training") == "never":
        found.append(evidence(answers, "awareness.training"))
    if answers.value("awareness.report_suspicious") in (NO, DONT_KNOW):
        found.append(evidence(answers, "awareness.report_suspicious"))
    return tuple(found) or None


org_check(
    CheckMeta(
        id="ORG-AWARENESS-OLD",
        severity=Severity.LOW,
        title=Text(
            fr="La dernière sensibilisation de l'équipe date de plus d'un an",
            en="The team's last awareness session was more than a year ago",
        ),
        risk=Text(
            fr="Les arnaques changent et l'équipe aussi : une nouvelle assistante n'a peut-être "
            "jamais entendu parler des courriels piégés.",
            en="Scams change and so does the team: a new assistant may never have heard of "
            "phishing e-mails.",
        ),
        remediation=Text(
            fr="Refaites une courte séance chaque année et à chaque arrivée dans l'équipe.",
            en="Hold a short session again every year and whenever someone joins the team.",
        ),
        who=(Who.DENTIST,),
        references=(ANSSI_2,),
        rationale="low: awareness exists but is getting old.",
        categories=("awareness",),
    )
)(rule("awareness.training", "longer_ago"))

org_check(
    CheckMeta(
        id="ORG-PERSONAL-USE",
        severity=Severity.LOW,
        title=Text(
            fr="Les ordinateurs du cabinet servent aussi à un usage personnel",
            en="The practice's computers are also used for personal things",
        ),
        risk=Text(
            fr="Messagerie personnelle, réseaux sociaux et téléchargements multiplient les "
            "occasions d'attraper un logiciel malveillant sur un poste qui ouvre les dossiers "
            "des patients.",
            en="Personal e-mail, social networks and downloads multiply the chances of catching "
            "malware on a computer that opens patients' records.",
        ),
        remediation=Text(
            fr="Réservez les ordinateurs du cabinet au travail ; pour le reste, utilisez un "
            "téléphone ou un ordinateur personnel sur le Wi-Fi invité.",
            en="Keep the practice's computers for work; for everything else, use a phone or a "
            "personal computer on the guest Wi-Fi.",
        ),
        who=(Who.DENTIST, Who.ASSISTANT),
        references=(ANSSI12_11, ANS_POSTE),
        rationale="low: raises exposure without being a hole by itself.",
        categories=("awareness", "workstation"),
    )
)(rule("usage.personal_use", YES))

org_check(
    CheckMeta(
        id="ORG-IT-PROVIDER-NO-CONTRACT",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Pas de contrat écrit avec le prestataire informatique",
            en="No written contract with the IT provider",
        ),
        risk=Text(
            fr="Sans contrat, personne n'est tenu de faire les sauvegardes, les mises à jour ni "
            "d'intervenir vite après une attaque ; chacun croit que l'autre s'en occupe.",
            en="Without a contract, nobody is bound to make backups, install updates or come "
            "quickly after an attack; each side believes the other takes care of it.",
        ),
        remediation=Text(
            fr="Faites écrire ce que fait le prestataire : sauvegardes et essais de "
            "restauration, mises à jour, accès à distance (quand et comment), délai "
            "d'intervention en cas d'attaque, restitution des données et des mots de passe "
            "en fin de contrat. Le mémento de l'ANS propose un questionnaire à lui poser.",
            en="Have the provider's duties written down: backups and restore tests, updates, "
            "remote access (when and how), response time after an attack, handing back data "
            "and passwords at the end of the contract. The ANS mémento offers a questionnaire "
            "to put to them.",
        ),
        who=(Who.DENTIST, Who.IT_PROVIDER),
        references=(ANSSI_3, ANS_PRESTATAIRES, ANSSI12_3),
        rationale="medium: leaves backups and updates to chance; 'don't know' fires too.",
        categories=("provider",),
    )
)(rule("provider.contract", NO, DONT_KNOW))

org_check(
    CheckMeta(
        id="ORG-REMOTE-ACCESS-UNCONTROLLED",
        severity=Severity.HIGH,
        title=Text(
            fr="Le prestataire ou l'éditeur peut se connecter à tout moment, sans demander",
            en="The IT provider or the vendor can connect at any time, without asking",
        ),
        risk=Text(
            fr="Un accès à distance permanent (TeamViewer ou AnyDesk toujours actifs, mot de "
            "passe fixe) est une porte que les attaquants savent trouver, et dont le cabinet ne "
            "voit pas l'usage.",
            en="Permanent remote access (TeamViewer or AnyDesk always running, a fixed "
            "password) is a door attackers know how to find, and whose use the practice "
            "cannot see.",
        ),
        remediation=Text(
            fr="Demandez que chaque connexion à distance soit autorisée par le cabinet (code "
            "donné à chaque fois, ou outil lancé seulement à la demande), avec double "
            "authentification et un journal des connexions ; désinstallez les outils d'accès "
            "à distance qui ne servent plus.",
            en="Require every remote connection to be allowed by the practice (a code given "
            "each time, or a tool started only on request), with two-factor login and a log of "
            "connections; uninstall remote-access tools no longer used.",
        ),
        who=(Who.IT_PROVIDER, Who.SOFTWARE_VENDOR, Who.DENTIST),
        references=(ANSSI_3, ANS_PRESTATAIRES, CYBER_RANCONGICIEL),
        rationale=(
            "high: unattended remote access is a frequent ransomware entry; 'don't know' "
            "fires too (the practice does not control what it does not know)."
        ),
        categories=("remote-access", "provider", "ransomware"),
    )
)(rule("remote.vendor_access", "permanent", DONT_KNOW))

org_check(
    CheckMeta(
        id="ORG-VENDOR-NOT-HDS",
        severity=Severity.HIGH,
        title=Text(
            fr="Les données de santé sont hébergées chez un hébergeur non certifié HDS",
            en="Health data is hosted by a provider not certified HDS",
        ),
        risk=Text(
            fr="La loi impose un hébergeur certifié HDS pour les données de santé confiées à un "
            "tiers : sans certification, ni la sécurité ni la restitution des données ne sont "
            "garanties, et le cabinet est en infraction.",
            en="French law requires an HDS-certified host for health data entrusted to a third "
            "party: without the certification, neither security nor the return of the data is "
            "guaranteed, and the practice is in breach.",
        ),
        remediation=Text(
            fr="Demandez à l'éditeur ou à l'hébergeur son certificat HDS ; s'il n'en a pas, "
            "changez de solution pour un hébergeur de la liste publiée par l'ANS.",
            en="Ask the vendor or host for its HDS certificate; if it has none, move to a host "
            "from the list published by the ANS.",
        ),
        who=(Who.DENTIST, Who.SOFTWARE_VENDOR),
        references=(ANS_HDS, CNIL_SANTE),
        rationale="high: a legal obligation and no guarantee on the data's safety.",
        categories=("provider", "compliance"),
    )
)(rule("vendor.hds", NO))

org_check(
    CheckMeta(
        id="ORG-VENDOR-HDS-UNKNOWN",
        severity=Severity.MEDIUM,
        title=Text(
            fr="On ne sait pas si l'hébergeur des données de santé est certifié HDS",
            en="Nobody knows whether the health-data host is certified HDS",
        ),
        risk=Text(
            fr="Si l'hébergeur n'est pas certifié HDS, le cabinet est en infraction et rien ne "
            "garantit la sécurité ni la restitution des données.",
            en="If the host is not HDS-certified, the practice is in breach and nothing "
            "guarantees the data's security or return.",
        ),
        remediation=Text(
            fr="Cherchez « HDS » dans le contrat ou sur le site de l'éditeur, ou demandez-lui "
            "son certificat ; notez la réponse et répondez de nouveau au questionnaire.",
            en='Look for "HDS" in the contract or on the vendor\'s website, or ask for its '
            "certificate; note the answer and answer the survey again.",
        ),
        who=(Who.DENTIST, Who.SOFTWARE_VENDOR),
        references=(ANS_HDS,),
        rationale="medium, below ORG-VENDOR-NOT-HDS: most health software vendors are certified.",
        categories=("provider", "compliance"),
    )
)(rule("vendor.hds", DONT_KNOW))

org_check(
    CheckMeta(
        id="ORG-WIFI-NOT-SEPARATED",
        severity=Severity.HIGH,
        title=Text(
            fr="Le Wi-Fi des patients n'est pas séparé du réseau du cabinet",
            en="The patients' Wi-Fi is not kept apart from the practice network",
        ),
        risk=Text(
            fr="Un téléphone infecté ou un visiteur malveillant dans la salle d'attente se "
            "retrouve sur le même réseau que le serveur, le NAS et l'imagerie.",
            en="An infected phone or a malicious visitor in the waiting room ends up on the "
            "same network as the server, the NAS and imaging.",
        ),
        remediation=Text(
            fr="Dans l'interface de la box, activez le « Wi-Fi invité » pour les patients, avec "
            "son propre mot de passe, et gardez le Wi-Fi du cabinet pour les seuls appareils du "
            "cabinet ; le prestataire informatique peut le faire en quelques minutes.",
            en='In the router\'s interface, turn on the "guest Wi-Fi" for patients, with its '
            "own password, and keep the practice Wi-Fi for the practice's devices only; the IT "
            "provider can do it in a few minutes.",
        ),
        who=(Who.IT_PROVIDER, Who.DENTIST),
        references=(ANSSI_20, ANSSI12_5),
        rationale=(
            "high: hands strangers a foothold on the LAN; 'don't know' fires too (boxes "
            "share one network unless a guest network was set up)."
        ),
        categories=("wifi", "network-segmentation"),
    )
)(rule("wifi.separated", NO, DONT_KNOW))


@org_check(
    CheckMeta(
        id="ORG-NO-INCIDENT-PLAN",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Rien n'est prévu pour réagir à une attaque",
            en="Nothing is planned for responding to an attack",
        ),
        risk=Text(
            fr="Les premières minutes comptent : éteindre les ordinateurs efface des traces, "
            "laisser le réseau branché laisse le chiffrement s'étendre, et sans numéros notés "
            "sur papier on ne sait plus qui appeler quand les ordinateurs sont bloqués.",
            en="The first minutes count: switching computers off erases traces, leaving the "
            "network plugged in lets the encryption spread, and without numbers on paper "
            "nobody knows whom to call when the computers are locked.",
        ),
        remediation=Text(
            fr="Imprimez la fiche réflexe de l'ANS (ou de cybermalveillance.gouv.fr), affichez-la "
            "près du serveur avec les numéros du prestataire, de l'éditeur, de l'assurance et "
            "du 17 Cyber ; relisez-la une fois avec l'équipe.",
            en="Print the ANS (or cybermalveillance.gouv.fr) checklist, post it near the server "
            "with the numbers of the IT provider, the vendor, the insurer and 17 Cyber; read it "
            "once with the team.",
        ),
        who=(Who.DENTIST,),
        references=(ANS_FICHE_REFLEXE, ANSSI_40, CYBER_RANCONGICIEL),
        rationale=(
            "medium: does not open a hole but turns an attack into a longer outage; fires on "
            "no plan (or not knowing one) or no numbers on paper."
        ),
        categories=("incident",),
    )
)
def no_incident_plan(answers: Answers, ctx: CheckContext) -> Hit:
    found = []
    if answers.value("incident.plan") in (NO, DONT_KNOW):
        found.append(evidence(answers, "incident.plan"))
    if answers.value("incident.contacts") in (NO, DONT_KNOW):
        found.append(evidence(answers, "incident.contacts"))
    return tuple(found) or None


org_check(
    CheckMeta(
        id="ORG-NO-RGPD-REGISTER",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Le cabinet ne tient pas de registre RGPD",
            en="The practice keeps no GDPR register",
        ),
        risk=Text(
            fr="Le registre des traitements est obligatoire pour un cabinet qui traite des "
            "données de santé ; sans lui, on ne sait pas dire à la CNIL, après une attaque, "
            "quelles données étaient touchées.",
            en="The processing register is compulsory for a practice handling health data; "
            "without it, nobody can tell the CNIL, after an attack, which data was affected.",
        ),
        remediation=Text(
            fr="Remplissez le modèle de registre de la CNIL (une ligne par fichier : dossiers "
            "patients, imagerie, rendez-vous, comptabilité, personnel) ; une heure suffit.",
            en="Fill in the CNIL's register template (one line per file: patient records, "
            "imaging, appointments, accounts, staff); one hour is enough.",
        ),
        who=(Who.DENTIST,),
        references=(CNIL_REGISTRE, ANS_RGPD),
        rationale="medium: a legal duty that also prepares the breach notification.",
        categories=("compliance", "gdpr"),
    )
)(rule("rgpd.register", NO, DONT_KNOW))

org_check(
    CheckMeta(
        id="ORG-BREACH-NOTIFICATION-UNKNOWN",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Le délai de 72 heures pour notifier une violation de données n'est pas connu",
            en="The 72-hour deadline to notify a data breach is not known",
        ),
        risk=Text(
            fr="Un rançongiciel qui chiffre ou vole des dossiers est une violation de données : "
            "elle doit être notifiée à la CNIL dans les 72 heures, et aux patients si le risque "
            "est élevé ; l'oublier expose à une sanction.",
            en="Ransomware that encrypts or steals records is a data breach: it must be "
            "notified to the CNIL within 72 hours, and to the patients if the risk is high; "
            "forgetting it exposes the practice to a sanction.",
        ),
        remediation=Text(
            fr="Notez sur la fiche réflexe : « violation de données → notification sur "
            "cnil.fr sous 72 h » ; la CNIL propose un formulaire en ligne.",
            en='Write on the incident checklist: "data breach → notify on cnil.fr within '
            '72 h"; the CNIL provides an online form.',
        ),
        who=(Who.DENTIST,),
        references=(CNIL_VIOLATION, ANS_RGPD),
        rationale="medium: a legal duty with a short deadline, easily missed in a crisis.",
        categories=("compliance", "gdpr", "incident"),
    )
)(rule("rgpd.breach_72h", NO, DONT_KNOW))
