"""Accounts and sessions on this computer: administrator rights, guest, passwords,
screen lock, automatic logon, and on Linux SSH and sudo."""

from __future__ import annotations

from rempart.checks import refs
from rempart.checks.base import CheckContext, CheckMeta, Hit, Reference, Text, Who, host_check
from rempart.checks.host import hrefs
from rempart.core.host import HostFacts
from rempart.core.model import Evidence, Severity

MIN_PASSWORD_LENGTH = 12  # ANSSI and CNIL (2022) for a password alone with lockout
MAX_SCREEN_LOCK_SECONDS = 600  # a reception desk: ten minutes at most


@host_check(
    CheckMeta(
        id="HOST-USER-IS-ADMIN",
        severity=Severity.MEDIUM,
        title=Text(
            fr="La session de travail a les droits d'administrateur",
            en="The everyday session has administrator rights",
        ),
        risk=Text(
            fr="Tout programme ouvert depuis cette session (pièce jointe, site piégé) obtient "
            "les mêmes droits : il peut désactiver l'antivirus, effacer les sauvegardes locales "
            "et chiffrer tout l'ordinateur.",
            en="Every program started from this session (attachment, booby-trapped website) "
            "gets the same rights: it can turn off the antivirus, erase local backups and "
            "encrypt the whole computer.",
        ),
        remediation=Text(
            fr="Demandez au prestataire informatique de créer un compte « standard » pour le "
            "travail quotidien (Paramètres Windows → Comptes → Autres utilisateurs) et de garder "
            "un compte administrateur distinct, utilisé seulement pour installer des logiciels.",
            en='Ask the IT provider to create a "standard" account for daily work (Windows '
            "Settings → Accounts → Other users) and to keep a separate administrator account, "
            "used only to install software.",
        ),
        who=(Who.IT_PROVIDER, Who.DENTIST),
        references=(hrefs.ANSSI_29, hrefs.ANSSI_7, refs.ANS_ACCES),
        rationale="medium: multiplies the damage of any malware that runs; not a way in.",
        categories=("accounts", "privileges"),
    )
)
def user_is_admin(facts: HostFacts, ctx: CheckContext) -> Hit:
    if facts.user_is_admin is not True:
        return None
    evidence = [Evidence("current user", facts.current_user or "?")]
    if facts.local_admins:
        evidence.append(Evidence("local administrators", ", ".join(facts.local_admins[:10])))
    return tuple(evidence)


@host_check(
    CheckMeta(
        id="HOST-GUEST-ENABLED",
        severity=Severity.MEDIUM,
        title=Text(fr="Le compte Invité est activé", en="The Guest account is enabled"),
        risk=Text(
            fr="Le compte Invité permet d'ouvrir une session ou d'accéder aux partages sans "
            "mot de passe personnel : personne ne sait qui a fait quoi.",
            en="The Guest account allows logging on or reaching shares without a personal "
            "password: nobody knows who did what.",
        ),
        remediation=Text(
            fr="Demandez au prestataire de désactiver le compte Invité : Gestion de l'ordinateur "
            "→ Utilisateurs et groupes locaux → Utilisateurs → Invité → Propriétés → cochez "
            "« Le compte est désactivé ».",
            en="Ask the IT provider to disable the Guest account: Computer Management → Local "
            'Users and Groups → Users → Guest → Properties → tick "Account is disabled".',
        ),
        who=(Who.IT_PROVIDER,),
        references=(hrefs.ANSSI_7, refs.ANS_ACCES),
        rationale="medium: an anonymous way onto the computer for anyone on the network.",
        categories=("accounts",),
    )
)
def guest_enabled(facts: HostFacts, ctx: CheckContext) -> Hit:
    if facts.guest_enabled is not True:
        return None
    return (Evidence("guest account", "enabled"),)


@host_check(
    CheckMeta(
        id="HOST-PASSWORD-POLICY-WEAK",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Les règles de mot de passe de l'ordinateur sont trop faibles",
            en="The computer's password rules are too weak",
        ),
        risk=Text(
            fr="Des mots de passe courts, ou des essais illimités, se devinent en quelques "
            "minutes par un programme qui essaie les mots de passe les plus courants.",
            en="Short passwords, or unlimited attempts, are guessed within minutes by a "
            "program trying the most common passwords.",
        ),
        remediation=Text(
            fr="Demandez au prestataire de régler la stratégie de sécurité locale (secpol.msc → "
            "Stratégies de comptes) : longueur minimale de 12 caractères, verrouillage du "
            "compte après 10 essais manqués. Choisissez une phrase de passe facile à retenir.",
            en="Ask the IT provider to set the local security policy (secpol.msc → Account "
            "Policies): minimum length of 12 characters, account lockout after 10 failed "
            "attempts. Choose a passphrase that is easy to remember.",
        ),
        who=(Who.IT_PROVIDER,),
        references=(
            refs.ANSSI_10,
            refs.ANS_ACCES,
            hrefs.CNIL_MOTS_DE_PASSE,
            refs.CYBER_MOTS_DE_PASSE,
        ),
        rationale="medium: makes password guessing practical for anyone who reaches a logon "
        "prompt (RDP, shares, the keyboard).",
        categories=("accounts", "passwords"),
    )
)
def password_policy_weak(facts: HostFacts, ctx: CheckContext) -> Hit:
    evidence = []
    if facts.password_min_length is not None and facts.password_min_length < MIN_PASSWORD_LENGTH:
        evidence.append(Evidence("minimum password length", str(facts.password_min_length)))
    if facts.lockout_threshold == 0:
        evidence.append(Evidence("lockout threshold", "never"))
    return tuple(evidence) or None


@host_check(
    CheckMeta(
        id="HOST-SCREEN-LOCK",
        severity=Severity.MEDIUM,
        title=Text(
            fr="L'écran ne se verrouille pas de lui-même, ou trop tard",
            en="The screen does not lock by itself, or too late",
        ),
        risk=Text(
            fr="Un poste laissé ouvert à l'accueil ou en salle de soins donne accès aux dossiers "
            "des patients et à la messagerie à quiconque passe devant.",
            en="A computer left unlocked at the reception desk or in the surgery gives access to "
            "patient records and e-mail to anyone passing by.",
        ),
        remediation=Text(
            fr="Paramètres Windows → Comptes → Options de connexion → « Si vous vous êtes "
            "absenté, quand Windows doit-il vous demander de vous reconnecter ? » → « Lors de "
            "la sortie de veille », et Paramètres → Système → Alimentation → écran éteint "
            "après 5 minutes. Prenez l'habitude de Windows + L en quittant le poste.",
            en="Windows Settings → Accounts → Sign-in options → \"If you've been away, when "
            'should Windows require you to sign in again?" → "When PC wakes up from sleep", and '
            "Settings → System → Power → turn off the screen after 5 minutes. Get used to "
            "Windows + L when leaving the desk.",
        ),
        who=(Who.ASSISTANT, Who.IT_PROVIDER),
        references=(refs.ANSSI_14, refs.ANS_ACCES),
        rationale="medium: physical access by patients and visitors is routine in a practice.",
        categories=("accounts", "physical"),
    )
)
def screen_lock(facts: HostFacts, ctx: CheckContext) -> Hit:
    delay = facts.screen_lock_seconds
    if delay is None:
        return None
    if delay == 0:
        return (Evidence("screen lock", "never"),)
    if delay > MAX_SCREEN_LOCK_SECONDS:
        return (Evidence("screen lock after", f"{delay // 60} min"),)
    return None


@host_check(
    CheckMeta(
        id="HOST-AUTOLOGON",
        severity=Severity.MEDIUM,
        title=Text(
            fr="L'ordinateur ouvre une session tout seul au démarrage",
            en="The computer logs on by itself at start-up",
        ),
        risk=Text(
            fr="Quiconque allume l'ordinateur est connecté sans mot de passe, et ce mot de passe "
            "est enregistré en clair dans le registre, lisible par tout programme.",
            en="Whoever switches the computer on is logged on without a password, and that "
            "password is stored in clear in the registry, readable by any program.",
        ),
        remediation=Text(
            fr="Demandez au prestataire de désactiver l'ouverture de session automatique "
            "(netplwiz → cochez « Les utilisateurs doivent entrer un nom d'utilisateur et un "
            "mot de passe ») puis de changer le mot de passe de ce compte.",
            en='Ask the IT provider to turn automatic logon off (netplwiz → tick "Users must '
            'enter a user name and password to use this computer") then to change that '
            "account's password.",
        ),
        who=(Who.IT_PROVIDER,),
        references=(
            refs.ANSSI_10,
            refs.ANS_ACCES,
            Reference(
                "Microsoft : activer l'ouverture de session automatique dans Windows",
                "https://learn.microsoft.com/troubleshoot/windows-server/user-profiles-and-logon/"
                "turn-on-automatic-logon",
            ),
        ),
        rationale="medium: physical access gives a session; the stored password leaks to malware.",
        categories=("accounts", "passwords", "physical"),
    )
)
def autologon(facts: HostFacts, ctx: CheckContext) -> Hit:
    if facts.autologon is not True:
        return None
    return (Evidence("AutoAdminLogon", "1"),)


@host_check(
    CheckMeta(
        id="HOST-SSH-ROOT-LOGIN",
        severity=Severity.HIGH,
        title=Text(
            fr="Le serveur SSH accepte root avec un mot de passe",
            en="The SSH server accepts root with a password",
        ),
        risk=Text(
            fr="Des robots essaient sans arrêt des mots de passe sur le compte root, qui existe "
            "sur tous les systèmes Linux. Un seul mot de passe deviné donne le contrôle total "
            "de la machine.",
            en="Robots endlessly try passwords on the root account, which exists on every Linux "
            "system. One guessed password gives full control of the machine.",
        ),
        remediation=Text(
            fr="Demandez au prestataire de mettre « PermitRootLogin no » (ou "
            "« prohibit-password ») dans /etc/ssh/sshd_config puis de redémarrer SSH "
            "(sudo systemctl restart ssh), et d'utiliser des clés plutôt que des mots de passe.",
            en='Ask the IT provider to set "PermitRootLogin no" (or "prohibit-password") in '
            "/etc/ssh/sshd_config then restart SSH (sudo systemctl restart ssh), and to use "
            "keys rather than passwords.",
        ),
        who=(Who.IT_PROVIDER,),
        references=(refs.ANSSI_SSH, refs.ANSSI_13, refs.ANS_ACCES),
        rationale="high: guessable full control over the network; not critical as a strong "
        "password still resists.",
        categories=("remote-access", "passwords"),
    )
)
def ssh_root_login(facts: HostFacts, ctx: CheckContext) -> Hit:
    if facts.ssh_root_login != "yes" or facts.ssh_password_auth is not True:
        return None
    return (Evidence("PermitRootLogin", "yes"), Evidence("PasswordAuthentication", "yes"))


@host_check(
    CheckMeta(
        id="HOST-SUDO-NOPASSWD",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Des comptes deviennent administrateurs sans mot de passe (sudo NOPASSWD)",
            en="Accounts become administrator without a password (sudo NOPASSWD)",
        ),
        risk=Text(
            fr="Un programme malveillant lancé depuis l'un de ces comptes obtient les droits "
            "d'administrateur sans rien demander à personne.",
            en="A malicious program started from one of these accounts gets administrator "
            "rights without asking anyone.",
        ),
        remediation=Text(
            fr="Demandez au prestataire de retirer NOPASSWD des règles sudo (sudo visudo, et les "
            "fichiers de /etc/sudoers.d), sauf pour une commande précise qui l'exige.",
            en="Ask the IT provider to remove NOPASSWD from the sudo rules (sudo visudo, and the "
            "files in /etc/sudoers.d), except for one precise command that requires it.",
        ),
        who=(Who.IT_PROVIDER,),
        references=(hrefs.ANSSI_29, refs.ANS_ACCES),
        rationale="medium: privilege escalation for free once any code runs in those accounts.",
        categories=("accounts", "privileges"),
    )
)
def sudo_nopasswd(facts: HostFacts, ctx: CheckContext) -> Hit:
    if not facts.sudo_nopasswd:
        return None
    return tuple(Evidence("sudoers", line) for line in facts.sudo_nopasswd[:5])
