"""The web consoles of the demo practice: what each device's admin page looks like.

Pages are small and static; what matters is what a probe reads: the ``Server`` header,
the ``<title>``, the authentication scheme and realm, and the NAS's firmware XML.
"""

from __future__ import annotations

import base64
import binascii
import html

from rempart.lab.fakes.http import Request, Response


def _page(title: str, body: str) -> bytes:
    return (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body>\n{body}\n</body></html>\n"
    ).encode()


NOT_FOUND = _page("404 Not Found", "<h1>Not Found</h1>")


# --- Internet box ------------------------------------------------------------------------

BOX_SERVER = ""  # the box's web server does not say its name
BOX_USER, BOX_PASSWORD = "admin", "admin"

BOX_LOGIN = _page(
    "Livebox - Connexion",
    """<h1>Livebox</h1>
<form method="post" action="/authenticate">
  <label>Utilisateur <input type="text" name="username" value="admin"></label>
  <label>Mot de passe <input type="password" name="password"></label>
  <button type="submit">Se connecter</button>
</form>""",
)

BOX_ADMIN = _page(
    "Livebox - Administration",
    "<h1>Livebox - Administration</h1><p>Configuration avancée, NAT/PAT, UPnP: activé.</p>",
)


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = (
            base64.b64decode(token.strip(), validate=True)
            .decode("utf-8", errors="replace")
            .partition(":")
        )
    except (binascii.Error, ValueError):
        return None
    return (user, password) if sep else None


def box_site(request: Request) -> Response:
    if request.method not in ("GET", "HEAD", "POST"):
        return Response(405, b"")
    if request.path in ("/", "/index.html", "/login.html"):
        return Response(200, BOX_LOGIN)
    if request.path == "/authenticate" and request.method == "POST":
        return Response(302, b"", headers=(("Location", "/admin/"),))
    if request.path.startswith("/admin"):
        if _basic_credentials(request) == (BOX_USER, BOX_PASSWORD):
            return Response(200, BOX_ADMIN)
        return Response(
            401,
            _page("401 Unauthorized", "<h1>Authentification requise</h1>"),
            headers=(("WWW-Authenticate", 'Basic realm="Livebox"'),),
        )
    return Response(404, NOT_FOUND)


# --- QNAP NAS ---------------------------------------------------------------------------

QNAP_SERVER = "http server 1.0"
QNAP_MODEL = "TS-453Be"
QNAP_VERSION, QNAP_NUMBER, QNAP_BUILD = "4.5.1", "1495", "20201015"

QNAP_LOGIN = _page(
    "QNAP Turbo NAS",
    """<div id="login"><h1>QNAP Turbo NAS</h1>
<p>QTS 4.5.1</p>
<form method="post" action="/cgi-bin/authLogin.cgi">
  <input type="text" name="user"> <input type="password" name="pwd">
  <button type="submit">Login</button>
</form></div>
<script src="/cgi-bin/qts.js?v=4.5.1.1495"></script>""",
)


def _cdata(tag: str, value: str) -> str:
    return f"<{tag}><![CDATA[{value}]]></{tag}>"


def qnap_auth_xml() -> bytes:
    """What QTS's ``/cgi-bin/authLogin.cgi`` answers before login (no credentials)."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8" ?>',
        '<QDocRoot version="1.0">',
        _cdata("doQuick", ""),
        _cdata("is_booting", "0"),
        _cdata("mediaReady", "1"),
        _cdata("SMBFW", "0"),
        _cdata("authPassed", "0"),
        _cdata("isAdmin", "0"),
        "<model>",
        _cdata("modelName", QNAP_MODEL),
        _cdata("internalModelName", "TS-X53B"),
        _cdata("platform", "X86_APOLLOLAKE"),
        _cdata("customModelName", ""),
        _cdata("displayModelName", QNAP_MODEL),
        "</model>",
        "<firmware>",
        _cdata("version", QNAP_VERSION),
        _cdata("number", QNAP_NUMBER),
        _cdata("build", QNAP_BUILD),
        _cdata("patch", "0"),
        _cdata("buildTime", "2020/10/15"),
        "</firmware>",
        _cdata("hostname", "NAS-CABINET"),
        _cdata("HTTPHost", "127.42.0.30"),
        _cdata("specVersion", "1.0"),
        _cdata("customLogo", ""),
        _cdata("DemoSiteSuppurt", "no"),
        _cdata("QTS_REMEMBER_ME", "0"),
        _cdata("show_security_checkbox", "1"),
        "</QDocRoot>",
    ]
    return ("\n".join(parts) + "\n").encode()


def qnap_site(request: Request) -> Response:
    if request.method not in ("GET", "HEAD", "POST"):
        return Response(405, b"")
    if request.path in ("/", "/cgi-bin/", "/cgi-bin/index.cgi"):
        if request.path == "/":
            return Response(302, b"", headers=(("Location", "/cgi-bin/"),))
        return Response(200, QNAP_LOGIN)
    if request.path in ("/cgi-bin/authLogin.cgi", "/cgi-bin/filemanager/authLogin.cgi"):
        return Response(200, qnap_auth_xml(), content_type="text/xml")
    return Response(404, NOT_FOUND)


# --- HP printer -------------------------------------------------------------------------

HP_MODEL = "HP LaserJet Pro M404dn"
HP_SERVER = (
    "HP HTTP Server; HP LaserJet Pro M404-M405 - W1A53A; Serial Number: VNB3X00000; "
    "Built: Thu Oct 15, 2020 05:27:25PM {002_2041A}"
)

HP_HOME = _page(
    f"{HP_MODEL}   127.42.0.50",
    f"""<div id="pgm-theatre-staging-div"><h1>{HP_MODEL}</h1>
<table><tr><td>Nom du produit</td><td>{HP_MODEL}</td></tr>
<tr><td>Version du micrologiciel</td><td>002_2041A</td></tr>
<tr><td>Nom d'hôte</td><td>NPI1A2B3C</td></tr></table></div>""",
)


def printer_site(request: Request) -> Response:
    if request.method not in ("GET", "HEAD"):
        return Response(405, b"")
    if request.path in ("/", "/index.html"):
        return Response(
            302, b"", headers=(("Location", "/hp/device/InternalPages/Index?id=DeviceStatus"),)
        )
    if request.path.startswith("/hp/device/"):
        return Response(200, HP_HOME)
    if request.path == "/DevMgmt/ProductConfigDyn.xml":
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<prdcfgdyn:ProductConfigDyn>'
            f"<dd:MakeAndModel>{HP_MODEL}</dd:MakeAndModel>"
            "<dd:Revision>002_2041A</dd:Revision></prdcfgdyn:ProductConfigDyn>\n"
        ).encode()
        return Response(200, xml, content_type="text/xml")
    return Response(404, NOT_FOUND)


# --- WinRM ------------------------------------------------------------------------------

WINRM_SERVER = "Microsoft-HTTPAPI/2.0"

HTTPAPI_404 = (
    b'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">\r\n'
    b"<HTML><HEAD><TITLE>Not Found</TITLE>\r\n"
    b'<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>\r\n'
    b"<BODY><h2>Not Found</h2>\r\n"
    b"<hr><p>HTTP Error 404. The requested resource is not found.</p>\r\n"
    b"</BODY></HTML>\r\n"
)


def winrm_site(request: Request) -> Response:
    if request.path.lower() == "/wsman":
        if request.method == "POST":
            return Response(
                401,
                b"",
                content_type="",
                headers=(("WWW-Authenticate", "Negotiate"), ("WWW-Authenticate", "Kerberos")),
            )
        return Response(405, b"", content_type="", headers=(("Allow", "POST"),))
    return Response(404, HTTPAPI_404, content_type="text/html; charset=us-ascii")
