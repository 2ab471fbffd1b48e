"""Who gets in: shared or reused passwords, no password manager, unlocked screens,
administrator accounts used every day, no second factor on e-mail or remote access,
the CPS card left in the reader, patients' documents sent by ordinary e-mail."""

from __future__ import annotations

from rempart.checks.base import CheckMeta, Text, Who, org_check
from rempart.checks.org._rules import (
    ANS_CPS,
    ANS_ECPS,
    ANS_MESSAGERIE,
    ANS_MOTS_DE_PASSE,
    ANS_MSSANTE,
    ANS_POSTE,
    ANSSI12_1,
    ANSSI12_8,
    ANSSI_8,
    ANSSI_10,
    ANSSI_11,
    ANSSI_13,
    ANSSI_29,
    CNIL_SANTE,
    CNIL_SECURITE,
    CYBER_RANCONGICIEL,
    rule,
)
from rempart.core.model import Severity
from rempart.core.survey import DONT_KNOW, NO, YES

org_check(
    CheckMeta(
        id="ORG-PASSWORDS-SHARED",
        severity=Severity.HIGH,
        title=Text(
            fr="Plusieurs personnes partagent le même compte",
            en="Several people share the same account",
        ),
        risk=Text(
            fr="Un compte partagé a un mot de passe que tout le monde connaît, qu'on ne change "
            "jamais (même au départ d'une assistante) et qui ne dit pas qui a fait quoi dans "
            "les dossiers des patients.",
            en="A shared account has a password everybody knows, that is never changed (not "
            "even when an assistant leaves) and that does not tell who did what in the "
            "patients' records.",
        ),
        remediation=Text(
            fr="Créez un compte nominatif pour chaque personne, sur Windows et dans le logiciel "
            "métier (l'éditeur peut le faire), chacun avec son mot de passe ; supprimez le "
            "compte d'une personne le jour de son départ.",
            en="Create a named account for each person, on Windows and in the practice software "
            "(the vendor can do it), each with its own password; delete a person's account on "
            "the day they leave.",
        ),
        who=(Who.DENTIST, Who.IT_PROVIDER, Who.SOFTWARE_VENDOR),
        references=(ANS_POSTE, ANSSI_8, CNIL_SANTE),
        rationale=(
            "high: shared credentials leak and are never revoked, and access to health data "
            "must be traceable to a person (CNIL); 'don't know' is not offered a finding "
            "(people know whether they share an account)."
        ),
        categories=("accounts", "passwords"),
    )
)(rule("passwords.individual_accounts", NO))

org_check(
    CheckMeta(
        id="ORG-NO-PASSWORD-MANAGER",
        severity=Severity.LOW,
        title=Text(
            fr="Pas de gestionnaire de mots de passe",
            en="No password manager",
        ),
        risk=Text(
            fr="Sans gestionnaire, on retient peu de mots de passe : ils sont courts, "
            "réutilisés d'un service à l'autre ou notés près de l'ordinateur.",
            en="Without a manager, people remember few passwords: they are short, reused from "
            "one service to the next or written down next to the computer.",
        ),
        remediation=Text(
            fr="Installez un gestionnaire de mots de passe (KeePass, certifié par l'ANSSI, ou "
            "Bitwarden) ; protégez-le par une longue phrase de passe et enregistrez-y un mot "
            "de passe différent pour chaque service.",
            en="Install a password manager (KeePass, certified by ANSSI, or Bitwarden); "
            "protect it with a long passphrase and store a different password for each "
            "service in it.",
        ),
        who=(Who.DENTIST, Who.ASSISTANT),
        references=(ANS_MOTS_DE_PASSE, ANSSI_11, ANSSI12_1),
        rationale="low: an enabler of good passwords rather than a hole by itself.",
        categories=("passwords",),
    )
)(rule("passwords.manager", NO, DONT_KNOW))

org_check(
    CheckMeta(
        id="ORG-PASSWORDS-REUSED",
        severity=Severity.HIGH,
        title=Text(
            fr="Le même mot de passe sert pour plusieurs services",
            en="The same password is used for several services",
        ),
        risk=Text(
            fr="Quand un site se fait voler ses mots de passe, les attaquants les essaient "
            "automatiquement sur la messagerie, l'accès à distance et les services de santé : "
            "un seul vol ouvre toutes les portes.",
            en="When a website's passwords are stolen, attackers automatically try them on "
            "e-mail, remote access and health services: one theft opens every door.",
        ),
        remediation=Text(
            fr="Changez d'abord les mots de passe de la messagerie, de l'accès à distance et du "
            "logiciel métier, chacun différent ; utilisez un gestionnaire de mots de passe "
            "pour ne pas avoir à les retenir.",
            en="First change the passwords of e-mail, remote access and the practice software, "
            "each one different; use a password manager so you need not remember them.",
        ),
        who=(Who.DENTIST, Who.ASSISTANT),
        references=(ANS_MOTS_DE_PASSE, ANSSI_10, ANSSI12_1),
        rationale=(
            "high: credential stuffing is a main way in; 'don't know' fires too (reuse is "
            "the default when nobody decided otherwise)."
        ),
        categories=("passwords",),
    )
)(rule("passwords.reused", YES, DONT_KNOW))

org_check(
    CheckMeta(
        id="ORG-PASSWORDS-WRITTEN",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Des mots de passe sont notés près des ordinateurs",
            en="Passwords are written down next to the computers",
        ),
        risk=Text(
            fr="Le cabinet reçoit du public : un patient, un livreur ou un intervenant peut "
            "lire un post-it et se connecter aux dossiers des patients.",
            en="The practice is open to the public: a patient, a courier or a visitor can read "
            "a sticky note and log in to the patients' records.",
        ),
        remediation=Text(
            fr="Enlevez les mots de passe affichés, changez-les, et rangez-les dans un "
            "gestionnaire de mots de passe (ou, à défaut, sous clé).",
            en="Remove the displayed passwords, change them, and keep them in a password "
            "manager (or, failing that, under lock).",
        ),
        who=(Who.DENTIST, Who.ASSISTANT),
        references=(ANS_MOTS_DE_PASSE, ANSSI_11),
        rationale="medium: needs physical presence, but the practice receives the public daily.",
        categories=("passwords", "physical"),
    )
)(rule("passwords.written_down", YES))

org_check(
    CheckMeta(
        id="ORG-NO-SCREEN-LOCK",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Les ordinateurs ne se verrouillent pas d'eux-mêmes",
            en="The computers do not lock themselves",
        ),
        risk=Text(
            fr="Un poste resté ouvert à l'accueil ou près du fauteuil donne accès aux dossiers "
            "des patients à quiconque passe devant.",
            en="A computer left open at reception or by the chair gives anyone passing by "
            "access to the patients' records.",
        ),
        remediation=Text(
            fr="Sur chaque ordinateur : Paramètres → Comptes → Options de connexion → "
            "verrouillage dynamique, et Paramètres → Personnalisation → Écran de verrouillage "
            "→ Écran de veille, 5 minutes, « À la reprise, afficher l'écran d'ouverture de "
            "session » ; prenez l'habitude de Windows + L en quittant le poste.",
            en="On each computer: Settings → Accounts → Sign-in options → Dynamic lock, and "
            'Settings → Personalisation → Lock screen → Screen saver, 5 minutes, "On resume, '
            'display logon screen"; get used to Windows + L when leaving the computer.',
        ),
        who=(Who.ASSISTANT, Who.IT_PROVIDER),
        references=(ANS_POSTE, CNIL_SECURITE),
        rationale="medium: needs physical presence; 'don't know' fires too (off by default).",
        categories=("workstation", "physical"),
    )
)(rule("passwords.screen_lock", NO, DONT_KNOW))

org_check(
    CheckMeta(
        id="ORG-ADMIN-DAILY-USE",
        severity=Severity.HIGH,
        title=Text(
            fr="On travaille au quotidien avec un compte administrateur",
            en="Day-to-day work is done with an administrator account",
        ),
        risk=Text(
            fr="Une pièce jointe piégée ouverte depuis un compte administrateur s'installe "
            "partout, désactive l'antivirus et efface les copies de sauvegarde de Windows.",
            en="A booby-trapped attachment opened from an administrator account installs "
            "itself everywhere, turns off the antivirus and deletes Windows' backup copies.",
        ),
        remediation=Text(
            fr="Demandez au prestataire informatique de vous donner, à chacun, un compte "
            "« utilisateur standard » pour le travail quotidien, et de garder un compte "
            "administrateur distinct, au mot de passe différent, pour les installations.",
            en='Ask the IT provider to give each of you a "standard user" account for daily '
            "work, and to keep a separate administrator account, with a different password, "
            "for installations.",
        ),
        who=(Who.IT_PROVIDER,),
        references=(ANSSI_29, ANS_POSTE),
        rationale=(
            "high: multiplies the damage of any malware; 'don't know' fires too (the first "
            "Windows account is an administrator unless someone changed it)."
        ),
        categories=("accounts", "workstation"),
    )
)(rule("admin.daily_use", YES, DONT_KNOW))

org_check(
    CheckMeta(
        id="ORG-NO-MFA-EMAIL",
        severity=Severity.HIGH,
        title=Text(
            fr="La messagerie n'a pas de double authentification",
            en="E-mail has no two-factor login",
        ),
        risk=Text(
            fr="Avec le seul mot de passe (hameçonnage, fuite d'un autre site), un attaquant lit "
            "les échanges avec les patients, réinitialise les autres mots de passe et envoie "
            "des messages piégés en votre nom.",
            en="With the password alone (phishing, another site's leak), an attacker reads the "
            "exchanges with patients, resets the other passwords and sends booby-trapped "
            "messages in your name.",
        ),
        remediation=Text(
            fr="Dans les paramètres de sécurité du compte de messagerie, activez la « validation "
            "en deux étapes » avec une application d'authentification ou un SMS, pour chaque "
            "boîte du cabinet.",
            en='In the e-mail account\'s security settings, turn on "2-step verification" '
            "with an authenticator app or a text message, for every mailbox of the practice.",
        ),
        who=(Who.DENTIST, Who.ASSISTANT),
        references=(ANSSI_13, ANSSI12_8),
        rationale=(
            "high: a mailbox is the key to every other account; 'don't know' fires too "
            "(two-factor login is off unless someone turned it on)."
        ),
        categories=("mfa", "email"),
    )
)(rule("mfa.email", NO, DONT_KNOW))

org_check(
    CheckMeta(
        id="ORG-NO-MFA-REMOTE",
        severity=Severity.HIGH,
        title=Text(
            fr="L'accès à distance au cabinet n'a pas de double authentification",
            en="Remote access to the practice has no two-factor login",
        ),
        risk=Text(
            fr="L'accès à distance est la première porte d'entrée des rançongiciels : un mot "
            "de passe deviné ou volé suffit pour entrer dans le réseau du cabinet et tout "
            "chiffrer.",
            en="Remote access is ransomware's first way in: a guessed or stolen password is "
            "enough to enter the practice network and encrypt everything.",
        ),
        remediation=Text(
            fr="Activez la double authentification de l'outil d'accès à distance (TeamViewer, "
            "AnyDesk, VPN) ; si l'outil ne la propose pas, demandez au prestataire informatique "
            "de le remplacer par un accès qui la propose.",
            en="Turn on the remote-access tool's two-factor login (TeamViewer, AnyDesk, VPN); "
            "if the tool does not offer it, ask the IT provider to replace it with one that "
            "does.",
        ),
        who=(Who.DENTIST, Who.IT_PROVIDER),
        references=(ANSSI_13, CYBER_RANCONGICIEL),
        rationale=(
            "high: remote access with a password alone is how most ransomware gets in; "
            "'don't know' fires too."
        ),
        categories=("mfa", "remote-access", "ransomware"),
    )
)(rule("mfa.remote_access", NO, DONT_KNOW))

org_check(
    CheckMeta(
        id="ORG-NO-ECPS",
        severity=Severity.LOW,
        title=Text(
            fr="L'e-CPS n'est pas activée",
            en="The e-CPS is not activated",
        ),
        risk=Text(
            fr="Sans e-CPS, l'accès aux services de santé en ligne passe par la carte CPS "
            "laissée dans le lecteur, ou par des mots de passe plus faciles à voler.",
            en="Without the e-CPS, access to online health services relies on the CPS card "
            "left in the reader, or on passwords easier to steal.",
        ),
        remediation=Text(
            fr="Installez l'application e-CPS sur votre téléphone et activez-la avec votre carte "
            "CPS (voir le site de l'ANS) ; elle sert ensuite à vous connecter sans carte.",
            en="Install the e-CPS app on your phone and activate it with your CPS card (see the "
            "ANS website); it then logs you in without the card.",
        ),
        who=(Who.DENTIST,),
        references=(ANS_ECPS, ANS_CPS),
        rationale="low: a stronger login option not yet used, not an open hole.",
        categories=("cps", "mfa"),
    )
)(rule("cps.ecps", NO))

org_check(
    CheckMeta(
        id="ORG-CPS-SHARED",
        severity=Severity.MEDIUM,
        title=Text(
            fr="La carte CPS reste dans le lecteur ou son code est partagé",
            en="The CPS card stays in the reader or its PIN is shared",
        ),
        risk=Text(
            fr="Tout ce qui est fait avec la carte CPS l'est en votre nom : un tiers ou un "
            "logiciel malveillant peut signer des feuilles de soins ou consulter des dossiers "
            "avec votre identité.",
            en="Everything done with the CPS card is done in your name: someone else or "
            "malware can sign claims or read records with your identity.",
        ),
        remediation=Text(
            fr="Retirez la carte du lecteur quand vous quittez le poste, ne communiquez pas son "
            "code ; chaque assistante peut avoir sa propre carte (CPE) ou passer par l'e-CPS.",
            en="Remove the card from the reader when you leave the computer, do not share its "
            "PIN; each assistant can have their own card (CPE) or use the e-CPS.",
        ),
        who=(Who.DENTIST, Who.ASSISTANT),
        references=(ANS_CPS,),
        rationale="medium: identity misuse inside the practice, not a remote way in.",
        categories=("cps", "accounts"),
    )
)(rule("cps.card_shared", YES))

org_check(
    CheckMeta(
        id="ORG-NO-SECURE-MESSAGING",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Des documents de patients partent par une messagerie ordinaire",
            en="Patients' documents are sent by ordinary e-mail",
        ),
        risk=Text(
            fr="Une messagerie ordinaire n'est pas faite pour des données de santé : une erreur "
            "de destinataire ou une boîte piratée expose radiographies et comptes rendus.",
            en="Ordinary e-mail is not made for health data: a wrong recipient or a hacked "
            "mailbox exposes X-rays and reports.",
        ),
        remediation=Text(
            fr="Ouvrez une boîte MSSanté (proposée par l'Ordre, votre éditeur ou l'Assurance "
            "maladie) et envoyez-y les documents de patients aux autres professionnels ; "
            "pour les patients, utilisez Mon espace santé.",
            en="Open an MSSanté mailbox (offered by the Order, your vendor or the health "
            "insurance) and use it to send patients' documents to other professionals; for "
            "patients, use Mon espace santé.",
        ),
        who=(Who.DENTIST,),
        references=(ANS_MESSAGERIE, ANS_MSSANTE, CNIL_SANTE),
        rationale="medium: a confidentiality risk, not a ransomware entry.",
        categories=("email", "confidentiality"),
    )
)(rule("cps.mssante", NO, DONT_KNOW))
