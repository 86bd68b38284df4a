"""Labelled calendar corpus: meeting invitations that leak passwords,
passcodes and dial-in access codes (family A of detections.md, found by
rules/meeting.rules), and look-alikes that must not alert.

An invitation is drawn from a template of one vendor (Zoom, Microsoft Teams,
Webex, GoTo, BlueJeans, Google Meet, Amazon Chime, RingCentral, Jitsi), of a
generic audio bridge, or of a generic password line, in English, German,
French, Dutch or Spanish, with the vendor's own wording and the properties
real clients use (DESCRIPTION, Outlook's X-ALT-DESC HTML copy, LOCATION, URL,
CONFERENCE, X-GOOGLE-CONFERENCE, X-MICROSOFT-SKYPETEAMSMEETINGURL...). Values
are random with each vendor's alphabet and length, and never placeholders.
Negative templates look alike: password-reset meetings, "PIN" as a word,
phone numbers without codes, bare join links, meeting IDs alone, empty or
placeholder passcodes, prose after a password label.

Labels: per component UID, the alerts rules/meeting.rules must raise, each
{"kind": "a1".."a11", "sid": ..., "secret": ...}; an empty list means
nothing may alert. A rule alerts at most once per component, on the first
value (in property order) holding a secret that passes its filters, so a
passcode repeated three times in one invitation is one label.

A few templates are deliberately hard and labelled with what should be
found even where the rules fall short (a generic password inside a Zoom
invitation, where the Zoom rules own every password label): they keep the
benchmark honest.

Everything draws from the random.Random given, so a seed gives the same
corpus. Python 3.9+ standard library only.
"""

import collections
import math
import random
import unicodedata

from . import catalog
from .postfilter import char_rank, is_placeholder

# --- the rules' sids, kinds and post-filters (mirrors rules/meeting.rules) -----------------
SIDS = {
    # sid: (kind, min_len, min_entropy)
    4200001: ("a1", 16, 3.3), 4200002: ("a1", 40, 4.0), 4200003: ("a1", 4, 1.0),
    4200004: ("a1", 4, 1.0), 4200005: ("a1", 4, 1.0),
    4200010: ("a2", 12, 3.0), 4200011: ("a2", 4, 1.0), 4200012: ("a2", 6, 0.0),
    4200020: ("a3", 33, 3.0), 4200021: ("a3", 4, 1.0), 4200022: ("a3", 6, 1.0),
    4200023: ("a3", 6, 1.0),
    4200030: ("a4", 4, 1.0),
    4200035: ("a5", 4, 1.0), 4200036: ("a5", 4, 1.0),
    4200040: ("a6", 6, 0.0),
    4200045: ("a7", 4, 0.0),
    4200050: ("a8", 16, 3.0), 4200051: ("a8", 4, 1.0), 4200052: ("a8", 4, 0.0),
    4200053: ("a8", 4, 0.0),
    4200060: ("a9", 4, 0.0),
    4200070: ("a10", 4, 0.0), 4200071: ("a10", 4, 0.0), 4200072: ("a10", 4, 0.0),
    4200080: ("a11", 4, 1.5), 4200081: ("a11", 4, 1.5), 4200082: ("a11", 4, 1.0),
    4200083: ("a11", 4, 1.5), 4200084: ("a11", 4, 1.5),
}
KINDS = ["a%d" % i for i in range(1, 12)]
ENTROPY_MARGIN = 0.15

DIGITS = "0123456789"
HEX = "0123456789abcdef"
LOWER = "abcdefghijklmnopqrstuvwxyz"
UPPER = LOWER.upper()
B62 = UPPER + LOWER + DIGITS
NBSP = "\u00a0"

FIRST = ["Jane", "Alex", "Maria", "Sam", "Lena", "Tom", "Priya", "Jonas", "Chloé", "Pablo",
         "Anouk", "Kenji", "Fatima", "Lucas", "Ingrid", "Omar", "Sofia", "Daan", "Élodie", "Marta"]
LAST = ["Doe", "Meyer", "García", "Okafor", "Nguyen", "Rossi", "Tanaka", "de Vries", "Dubois",
        "Schmidt", "Jansen", "López", "Martin", "Bakker", "Fischer", "Moreau", "Smith", "Kowalski"]
TOPICS = {
    "en": ["Weekly sync", "Q3 planning", "Budget review", "Customer onboarding", "Design critique",
           "Sprint retrospective", "All-hands", "Vendor call", "Board prep", "1:1", "Hiring panel",
           "Incident review", "Roadmap workshop", "Release go/no-go", "Training session"],
    "de": ["Wöchentliche Abstimmung", "Planung Q3", "Budgetbesprechung", "Kundentermin",
           "Sprint-Retro", "Teammeeting", "Lieferantengespräch", "Projektstart", "Jour fixe",
           "Schulung"],
    "fr": ["Point hebdomadaire", "Planification T3", "Revue budgétaire", "Réunion client",
           "Rétrospective", "Réunion d’équipe", "Comité de pilotage", "Lancement projet",
           "Formation"],
    "nl": ["Wekelijks overleg", "Planning Q3", "Budgetoverleg", "Klantgesprek", "Retrospective",
           "Teamoverleg", "Stuurgroep", "Projectstart", "Training"],
    "es": ["Reunión semanal", "Planificación T3", "Revisión de presupuesto", "Reunión con cliente",
           "Retrospectiva", "Reunión de equipo", "Comité de dirección", "Inicio de proyecto",
           "Formación"],
}
LANGS = ["en", "en", "en", "de", "fr", "nl", "es"]
TZ = {"en": "America/New_York", "de": "Europe/Berlin", "fr": "Europe/Paris",
      "nl": "Europe/Amsterdam", "es": "Europe/Madrid"}
PHONES = {
    "en": ["+1 646 555 0123 US (New York)", "+1 669 555 0183 US (San Jose)",
           "+1 312 555 0176 US (Chicago)", "+44 20 7946 0321 United Kingdom"],
    "de": ["+49 69 3807 9883 Deutschland", "+49 30 5679 5800 Deutschland",
           "+49 695 050 0951 Deutschland"],
    "fr": ["+33 1 7037 2246 France", "+33 7 5678 4048 France", "+33 1 8699 5831 France"],
    "nl": ["+31 20 794 1375 Nederland", "+31 707 006 526 Nederland", "+31 20 241 0288 Nederland"],
    "es": ["+34 91 787 3431 España", "+34 84 368 5025 España", "+34 91 198 0188 España"],
}


# --- values --------------------------------------------------------------------------------

def entropy(s):
    b = s.encode()
    n = len(b)
    if not n:
        return 0.0
    return -sum(c / n * math.log2(c / n) for c in collections.Counter(b).values())


def _looks_weak(s):
    """Stricter than the engine, on the code's digits/letters: no run of 4
    equal or consecutive characters anywhere, no stop word."""
    t = "".join(c for c in s.lower() if c.isalnum())
    for i in range(len(t) - 3):
        w = t[i:i + 4]
        if len(set(w)) == 1:
            return True
        d = [char_rank(w[j + 1]) - char_rank(w[j]) for j in range(3)]
        if d in ([1] * 3, [-1] * 3):
            return True
    return any(w in t for w in ("test", "fake", "pass", "xxxx", "1234"))


def good(sid, s):
    _, min_len, min_ent = SIDS[sid]
    need = min_ent + ENTROPY_MARGIN if min_ent else 0.0
    return (len(s) >= min_len and entropy(s) >= need and not is_placeholder(s)
            and not _looks_weak(s))


def draw(rng, sid, fn):
    for _ in range(100):
        s = fn()
        if good(sid, s):
            return s
    raise RuntimeError(f"cannot draw a value for sid {sid}")


def _tok(rng, alphabet, n):
    return "".join(rng.choices(alphabet, k=n))


def _digits(rng, n):
    return rng.choice("123456789") + _tok(rng, DIGITS, n - 1)


def _group(s, sizes):
    out, i = [], 0
    for k in sizes:
        out.append(s[i:i + k])
        i += k
    if i < len(s):
        out.append(s[i:])
    return " ".join(x for x in out if x)


def _mixed_code(rng, n, alphabet=B62):
    """n characters of the alphabet with a digit and a lower-case letter
    before an upper-case one (what a vendor generates)."""
    while True:
        s = _tok(rng, alphabet, n)
        if any(c.isdigit() for c in s) and any(c.islower() for c in s) and \
                any(c.isupper() for c in s):
            return s


WORDS_PW = ["Harbor", "Falcon", "Maple", "Orbit", "Cedar", "Summit", "Lantern", "Copper",
            "Willow", "Pixel", "Meadow", "Atlas", "Comet", "Granite", "Tundra", "Velvet"]


def _password(rng):
    """What people type: words, digits, a symbol; or random characters."""
    r = rng.random()
    if r < 0.35:
        return f"{rng.choice(WORDS_PW)}{rng.choice(['-', '_', '', '.', '+'])}" \
               f"{rng.choice(WORDS_PW)}{rng.choice(['-', '', '@', '#'])}{_digits(rng, rng.choice([2, 3, 4]))}"
    if r < 0.6:
        return f"{rng.choice(WORDS_PW)}{_digits(rng, 4)}{rng.choice(['!', '$', '*', '%', '='])}"
    if r < 0.8:
        s = _mixed_code(rng, rng.randrange(9, 15), B62 + "!@$%*+=_-")
        return s if s[-1].isalnum() else s + rng.choice(DIGITS)
    return f"{rng.choice(WORDS_PW).lower()}-{rng.choice(WORDS_PW)}-{_digits(rng, 2)}"


# --- invitation building blocks ----------------------------------------------------------

def _esc_html(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class KV:
    """A "Label: value" line; html draws one of the ways mail clients mark it up."""

    def __init__(self, label, value, sep=": ", tail=""):
        self.label, self.value, self.sep, self.tail = label, value, sep, tail

    def text(self):
        return f"{self.label}{self.sep}{self.value}{self.tail}"

    def html(self, rng):
        lab, val, tail = _esc_html(self.label), _esc_html(self.value), _esc_html(self.tail)
        sep = self.sep.replace(NBSP, "&nbsp;")
        r = rng.random()
        if r < 0.3:
            return f"<b>{lab}{sep.rstrip()}</b> {val}{tail}"
        if r < 0.6:
            return f'<span style="font-size:10.5pt">{lab}{sep}</span><span>{val}</span>{tail}'
        if r < 0.8:
            return f"{lab}{sep.rstrip()}&nbsp;{val}{tail}"
        return f"{lab}{sep}{val}{tail}"


class Link:
    """A link: as Outlook writes it in text (label<url>), label: url, or the bare url."""

    def __init__(self, label, url, style="colon"):
        self.label, self.url, self.style = label, url, style

    def text(self):
        if self.style == "outlook":
            return f"{self.label}<{self.url}>"
        if self.style == "colon":
            return f"{self.label}: {self.url}" if self.label else self.url
        if self.style == "newline":
            return f"{self.label}\n{self.url}"
        return self.url

    def html(self, rng):
        href = _esc_html(self.url)
        if self.style == "bare" or not self.label:
            return f'<a href="{href}">{href}</a>'
        if self.style == "colon":
            return f'{_esc_html(self.label)}: <a href="{href}">{href}</a>'
        return f'<a href="{href}">{_esc_html(self.label)}</a>'


def render_text(lines):
    return "\n".join(x.text() if hasattr(x, "text") else x for x in lines)


def render_html(rng, lines):
    body = []
    for x in lines:
        if hasattr(x, "html"):
            body.append(f"<div>{x.html(rng)}</div>")
        elif x == "":
            body.append("<div><br></div>")
        else:
            body.append(f"<div>{_esc_html(x)}</div>")
    return ('<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
            '</head>\n<body>\n' + "\n".join(body) + "\n</body>\n</html>\n")


class Invite:
    """One component: properties in order, and the labels."""

    def __init__(self, kind="VEVENT"):
        self.kind = kind
        self.summary = ""
        self.location = None
        self.lines = []          # DESCRIPTION
        self.html = False        # add an X-ALT-DESC copy
        self.props = []          # extra (name, params, value, is_text)
        self.labels = []
        self.template = ""

    def label(self, sid, secret):
        self.labels.append({"kind": SIDS[sid][0], "sid": sid, "secret": secret})


class Ctx:
    def __init__(self, rng, lang):
        self.rng = rng
        self.lang = lang
        self.org = rng.choice(catalog.ORGS)
        self.host_name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        self.topic = rng.choice(TOPICS[lang])

    def when(self):
        r = self.rng
        return (f"{r.choice(['Nov', 'Dec', 'Jan', 'Feb', 'Mar'])} {r.randrange(1, 29)}, "
                f"{r.choice([2026, 2027])} {r.randrange(8, 12)}:{r.choice(['00', '30'])} AM "
                f"{r.choice(['Amsterdam, Berlin, Rome', 'Eastern Time (US and Canada)', 'Paris', 'Madrid'])}")

    def phones(self, k=2):
        return self.rng.sample(PHONES[self.lang], k=min(k, len(PHONES[self.lang])))


def _one_tap_number(ctx):
    p = ctx.rng.choice(PHONES[ctx.lang])
    parts = p.split()
    num = []
    for x in parts:
        if x.startswith("+") or x.isdigit():
            num.append(x.lstrip("+"))
        else:
            break
    return "+" + "".join(num), " ".join(parts[len(num):])


# --- Zoom (A1) -------------------------------------------------------------------------------

ZOOM_TEXT = {
    "en": dict(invite="{h} is inviting you to a scheduled Zoom meeting.", topic="Topic", time="Time",
               join="Join Zoom Meeting", mid="Meeting ID", pc="Passcode", tap="One tap mobile",
               loc="Dial by your location", find="Find your local number"),
    "de": dict(invite="{h} lädt Sie zu einem geplanten Zoom-Meeting ein.", topic="Thema",
               time="Uhrzeit", join="Zoom-Meeting beitreten", mid="Meeting-ID", pc="Kenncode",
               tap="Schnelleinwahl mobil", loc="Einwahl nach aktuellem Standort",
               find="Ortsvorwahl suchen"),
    "fr": dict(invite="{h} vous invite à une réunion Zoom planifiée.", topic="Sujet", time="Heure",
               join="Participer à la réunion Zoom", mid="ID de réunion", pc="Code secret",
               tap="Une seule touche sur l’appareil mobile",
               loc="Composez un numéro en fonction de votre emplacement",
               find="Trouvez votre numéro local"),
    "nl": dict(invite="{h} nodigt u uit voor een geplande Zoom-vergadering.", topic="Onderwerp",
               time="Tijd", join="Deelnemen aan Zoom-vergadering", mid="Vergadering-ID",
               pc="Toegangscode", tap="Snelle mobiele toegang",
               loc="Inbellen op basis van je locatie", find="Zoek je lokale nummer"),
    "es": dict(invite="{h} le está invitando a una reunión de Zoom programada.", topic="Tema",
               time="Hora", join="Unirse a la reunión Zoom", mid="ID de reunión",
               pc="Código de acceso", tap="Móvil con un toque", loc="Marcar según su ubicación",
               find="Buscar su número local"),
}


def _zoom_values(ctx):
    rng = ctx.rng
    n = rng.choice([10, 11, 11])
    mid = _digits(rng, n)
    mid_fmt = _group(mid, [3, 4, 4] if n == 11 else [3, 3, 4])
    sub = rng.choice(["us02web", "us06web", "zoom", "us04web", "eu01web", ctx.org])
    host = "zoom.us" if sub == "zoom" else f"{sub}.zoom.us"
    if rng.random() < 0.06:
        host = rng.choice(["zoomgov.com", f"{ctx.org}.zoom-x.de"])
    if rng.random() < 0.75:
        pwd = draw(rng, 4200001, lambda: _tok(rng, B62, 30)) + ".1"
    else:  # older: base64 of a base64 passcode, ending 09
        pwd = draw(rng, 4200001, lambda: _tok(rng, B62, 28) + "09")
    return mid, mid_fmt, host, pwd


def _zoom_sep(ctx):
    return NBSP + ": " if ctx.lang == "fr" and ctx.rng.random() < 0.5 else \
        (" : " if ctx.lang == "fr" else ": ")


def t_zoom(ctx, variant=None):
    rng, lang = ctx.rng, ctx.lang
    L = ZOOM_TEXT[lang]
    inv = Invite()
    mid, mid_fmt, host, pwd = _zoom_values(ctx)
    v = variant or rng.choices(
        ["full", "numeric", "short", "nopwd", "idonly", "host", "tap", "zoommtg", "webinar",
         "empty", "oldpassword"],
        [26, 10, 8, 8, 8, 4, 5, 4, 5, 8, 6])[0]
    inv.template = f"zoom/{v}/{lang}"
    pc_label = L["pc"]
    if v == "oldpassword":
        pc_label = {"en": "Password", "de": "Passwort", "fr": "Mot de passe", "nl": "Wachtwoord",
                    "es": "Contraseña"}[lang]
    sep = _zoom_sep(ctx)
    path = "w" if v == "webinar" else "j"
    with_pwd = v not in ("nopwd", "idonly", "empty")
    url = f"https://{host}/{path}/{mid}" + (f"?pwd={pwd}" if with_pwd else "")
    if v == "zoommtg":
        url = f"zoommtg://{host}/join?action=join&confno={mid}&pwd={pwd}"
    alnum = draw(rng, 4200003, lambda: _mixed_code(rng, rng.choice([6, 6, 6, 8, 10]),
                                                   B62 + ("_" if rng.random() < 0.1 else "")))
    numeric = draw(rng, 4200004, lambda: _digits(rng, rng.choice([6, 6, 8, 10])))
    main_pc = {"numeric": numeric}.get(v, alnum)
    old_tap = rng.random() < 0.15
    has_tap = v in ("full", "numeric", "tap", "oldpassword", "idonly", "empty", "host")
    tap_code = numeric if v not in ("idonly", "empty") else None

    inv.summary = ctx.topic if rng.random() < 0.6 else f"Zoom: {ctx.topic}"
    lines = []
    if v == "short":
        lines += [L["join"], Link("", url, "bare")]
    elif v == "tap":
        lines += [L["tap"]]
    else:
        lines += [L["invite"].format(h=ctx.host_name), "", KV(L["topic"], ctx.topic, sep),
                  KV(L["time"], ctx.when(), sep), "", L["join"], Link("", url, "bare"), ""]
        if v != "zoommtg":
            lines.append(KV(L["mid"], mid_fmt, sep))
            if v == "empty":
                lines.append(rng.choice([f"{pc_label}:", f"{pc_label}: (none)",
                                         f"{pc_label}: see below", f"{pc_label}: <passcode>",
                                         f"{pc_label}: ******", f"{pc_label}: XXXXXX"]))
            elif v != "idonly":
                lines.append(KV(pc_label, main_pc, sep))
        lines.append("")
    if has_tap:
        if v != "tap":
            lines += ["---", "", L["tap"]]
        for _ in range(2 if v != "tap" else rng.choice([1, 2])):
            num, where = _one_tap_number(ctx)
            code = (f",,,,*{tap_code}#" if not old_tap else f",,,,0#,,{tap_code}#") \
                if tap_code else ""
            lines.append(f"{num},,{mid}#{code} {where}")
        if v != "tap":
            lines += ["", "---", "", L["loc"]]
            lines += ["• " + p for p in ctx.phones(3)]
            lines += ["", KV(L["mid"], mid_fmt, sep)]
            if tap_code and v not in ("idonly",):
                lines.append(KV(pc_label, numeric, sep))
            lines += ["", f"{L['find']}: https://{host}/u/{_tok(rng, B62, 9)}"]
            if rng.random() < 0.3:
                lines += ["", "---", "", "Join by SIP", f"• {mid}@zoomcrc.com", "",
                          "Join by H.323", "• 162.255.37.11 (US West)", "• 162.255.36.11 (US East)",
                          KV(L["mid"], mid_fmt, sep)]
                if tap_code:
                    lines.append(KV(pc_label, numeric, sep))
    if v == "host":
        zak = draw(rng, 4200002, lambda: _jwt(rng))
        start = f"https://{host}/s/{mid}?zak={zak}"
        lines = [f"Start the meeting as host: {start}", ""] + lines
        inv.label(4200002, zak)
    inv.lines = lines
    # where clients put the join link
    r = rng.random()
    if r < 0.6:
        inv.location = url
    elif r < 0.75:
        inv.props.append(("URL", [], url, False))
    elif r < 0.85 or v == "tap":
        inv.props.append(("CONFERENCE", [("VALUE", "URI"), ("FEATURE", "VIDEO"),
                                         ("LABEL", "Zoom")], url, False))
    else:
        inv.location = "Zoom" if rng.random() < 0.5 else None
    inv.html = rng.random() < 0.35
    # labels: one per rule; the first value of a rule's pattern in the component
    if with_pwd:
        inv.label(4200001, pwd)
    if v in ("full", "numeric", "nopwd", "oldpassword", "host", "webinar"):
        inv.label(4200003, main_pc)
    if v in ("full", "oldpassword", "host"):
        inv.label(4200004, numeric)
    if v == "tap":
        inv.label(4200005, numeric)
    return inv


def _jwt(rng):
    import base64
    import json

    def b64(b):
        return base64.urlsafe_b64encode(b).decode().rstrip("=")
    head = b64(json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":")).encode())
    body = b64(json.dumps({"aud": "clientsm", "uid": _tok(rng, B62, 22), "iss": "web",
                           "sk": str(rng.randrange(10 ** 18, 10 ** 19)), "sty": 100, "wcd": "us06",
                           "clt": 0, "exp": rng.randrange(1790000000, 1800000000)},
                          separators=(",", ":")).encode())
    return f"{head}.{body}.{b64(rng.randbytes(32))}"


# --- Microsoft Teams (A2) ------------------------------------------------------------------

TEAMS_TEXT = {
    "en": dict(title="Microsoft Teams meeting", sub="Join on your computer, mobile app or room device",
               click="Click here to join the meeting", mid="Meeting ID", pc="Passcode",
               dl="Download Teams", web="Join on the web", call="Or call in (audio only)",
               conf="Phone Conference ID", find="Find a local number", reset="Reset PIN",
               loc="Microsoft Teams Meeting", more="Learn More", opts="Meeting options",
               country="United States, Los Angeles"),
    "de": dict(title="Microsoft Teams-Besprechung",
               sub="Nehmen Sie über Ihren Computer, Ihre mobile App oder Ihr Raumgerät teil",
               click="Klicken Sie hier, um an der Besprechung teilzunehmen", mid="Besprechungs-ID",
               pc="Passcode", dl="Teams herunterladen", web="Im Web beitreten",
               call="Oder rufen Sie an (nur Audio)", conf="Telefonkonferenz-ID",
               find="Lokale Nummer suchen", reset="PIN zurücksetzen",
               loc="Microsoft Teams-Besprechung", more="Weitere Infos",
               opts="Besprechungsoptionen", country="Germany, Frankfurt"),
    "fr": dict(title="Réunion Microsoft Teams",
               sub="Rejoindre à partir de votre ordinateur, de votre application mobile ou de l’appareil de salle",
               click="Cliquez ici pour participer à la réunion", mid="ID de réunion",
               pc="Code secret", dl="Télécharger Teams", web="Rejoindre sur le web",
               call="Ou appelez (audio uniquement)", conf="ID de conférence téléphonique",
               find="Trouver un numéro local", reset="Réinitialiser le code PIN",
               loc="Réunion Microsoft Teams", more="En savoir plus", opts="Options de réunion",
               country="France, Paris"),
    "nl": dict(title="Microsoft Teams-vergadering",
               sub="Deelnemen op uw computer, mobiele app of ruimteapparaat",
               click="Klik hier om deel te nemen aan de vergadering", mid="Vergadering-id",
               pc="Wachtwoordcode", dl="Teams downloaden", web="Deelnemen op internet",
               call="Of bel in (alleen audio)", conf="Telefonische vergadering-id",
               find="Een lokaal nummer zoeken", reset="Pincode voor inbellen opnieuw instellen",
               loc="Microsoft Teams-vergadering", more="Meer informatie",
               opts="Vergaderingsopties", country="Netherlands, Amsterdam"),
    "es": dict(title="Reunión de Microsoft Teams",
               sub="Unirse desde el equipo, la aplicación móvil o el dispositivo de la sala",
               click="Haga clic aquí para unirse a la reunión", mid="Id. de reunión",
               pc="Código de acceso", dl="Descargar Teams", web="Unirse en la web",
               call="O llamar (solo audio)", conf="Id. de conferencia telefónica",
               find="Buscar un número local", reset="Restablecer PIN",
               loc="Reunión de Microsoft Teams", more="Más información",
               opts="Opciones de reunión", country="Spain, Madrid"),
}
TEAMS_PHONE = {"en": "+1 323-555-0142", "de": "+49 69 555 01420", "fr": "+33 1 55 50 01 42",
               "nl": "+31 20 555 0142", "es": "+34 91 555 0142"}


def _guid(rng):
    h = _tok(rng, HEX, 32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def t_teams(ctx, variant=None):
    rng, lang = ctx.rng, ctx.lang
    L = TEAMS_TEXT[lang]
    inv = Invite()
    v = variant or rng.choices(["classic", "meetlink", "nodial", "bare", "idonly", "wifi", "empty"],
                               [34, 16, 14, 12, 8, 6, 10])[0]
    inv.template = f"teams/{v}/{lang}"
    tid, oid = _guid(rng), _guid(rng)
    thread = _tok(rng, B62, 48)
    join = (f"https://teams.microsoft.com/l/meetup-join/19%3ameeting_{thread}%40thread.v2/0"
            f"?context=%7b%22Tid%22%3a%22{tid}%22%2c%22Oid%22%3a%22{oid}%22%7d")
    mid = _digits(rng, 14)
    mid_fmt = _group(mid, [3, 3, 3, 3, 2])
    pc = draw(rng, 4200011, lambda: _mixed_code(rng, rng.choice([6, 6, 7, 8])))
    conf = draw(rng, 4200012, lambda: _digits(rng, 9))
    conf_fmt = _group(conf, [3, 3, 3])
    sep = " : " if lang == "fr" else ": "
    if v == "meetlink":
        p = draw(rng, 4200010, lambda: _mixed_code(rng, rng.randrange(15, 21)))
        join = f"https://teams.microsoft.com/meet/{mid}?p={p}"
        inv.label(4200010, p)
    bar = "_" * 80
    lines = [bar, L["title"]]
    if v == "bare":
        lines += [L["sub"], Link(L["click"], join, "outlook"),
                  Link(L["dl"], "https://www.microsoft.com/en-us/microsoft-teams/download-app",
                       "outlook"), bar]
    else:
        lines += [L["sub"], Link(L["click"], join, "outlook"), "", KV(L["mid"], mid_fmt, sep)]
        if v == "empty":
            lines.append(rng.choice([f"{L['pc']}:", f"{L['pc']}: (none)", f"{L['pc']}: ******",
                                     f"{L['pc']}: <passcode>"]))
        elif v != "idonly":
            lines.append(KV(L["pc"], pc, sep))
        lines += ["", Link(L["dl"], "https://www.microsoft.com/en-us/microsoft-teams/download-app",
                           "outlook") ,
                  Link(L["web"], "https://www.microsoft.com/microsoft-teams/join-a-meeting",
                       "outlook")]
        if v in ("classic", "meetlink", "wifi", "empty", "idonly"):
            digits = "".join(c for c in TEAMS_PHONE[lang] if c.isdigit() or c == "+")
            lines += ["", L["call"],
                      f"{TEAMS_PHONE[lang]},,{conf}#<tel:{digits},,{conf}#>   {L['country']}",
                      KV(L["conf"], conf_fmt, sep, "#"),
                      f"{L['find']}<https://dialin.teams.microsoft.com/{_guid(rng)}?id={conf}> | "
                      f"{L['reset']}<https://dialin.teams.microsoft.com/usp/pstnconferencing>"]
            if rng.random() < 0.4:
                lines += ["", f"Tenant key: {rng.randrange(100000, 999999)}@t.plcm.vc",
                          f"Video ID: {_group(_digits(rng, 10), [3, 3, 3, 1])}"]
            inv.label(4200012, conf_fmt)
        lines += ["", f"{L['more']}<https://aka.ms/JoinTeamsMeeting> | "
                      f"{L['opts']}<https://teams.microsoft.com/meetingOptions/?organizerId={oid}"
                      f"&tenantId={tid}&threadId=19_meeting_{thread[:20]}@thread.v2&messageId=0&language={lang}>",
                  bar]
        if v not in ("empty", "idonly"):
            inv.label(4200011, pc)
    if v == "wifi":
        pw = draw(rng, 4200081, lambda: _password(rng))
        text, sid = _wifi_line(ctx, pw)
        lines = [text, ""] + lines
        inv.label(sid, pw)
    inv.lines = lines
    inv.summary = ctx.topic
    inv.location = L["loc"]
    inv.props.append(("X-MICROSOFT-SKYPETEAMSMEETINGURL", [], join, False))
    if rng.random() < 0.5:
        inv.props.append(("X-MICROSOFT-ONLINEMEETINGCONFLINK", [],
                          f"conf:sip:{ctx.org}-organizer@{ctx.org}.example"
                          f";gruu;opaque=app:conf:focus:id:teams:2:0!19:meeting_{thread[:32]}"
                          f"-thread.v2!{oid}!{tid}", True))
    inv.html = rng.random() < 0.7
    return inv


def _wifi_line(ctx, pw):
    """(text, sid): a Wi-Fi password line; 4200083 when a qualifier (Wi-Fi,
    guest, network...) stands next to the label, 4200084 when it follows the
    value in parentheses."""
    lang = ctx.lang
    r = ctx.rng.random()
    org = ctx.org.capitalize()
    return {
        "en": [(f"Guest Wi-Fi password: {pw}", 4200083), (f"Wi-Fi: {org}-Guest / password: {pw}", 4200083),
               (f"Visitor Wi-Fi password - {pw}", 4200083), (f"Password: {pw} (guest Wi-Fi)", 4200084)],
        "de": [(f"Gast-WLAN-Passwort: {pw}", 4200083), (f"WLAN {org}-Gast, Passwort: {pw}", 4200083),
               (f"WLAN-Kennwort: {pw}", 4200083), (f"Kennwort: {pw} (Gast-WLAN)", 4200084)],
        "fr": [(f"Wi-Fi invité — mot de passe : {pw}", 4200083), (f"Wi-Fi invités, mot de passe{NBSP}: {pw}", 4200083),
               (f"Réseau invité : {ctx.org}-guest, mot de passe : {pw}", 4200083),
               (f"Mot de passe : {pw} (Wi-Fi invités)", 4200084)],
        "nl": [(f"Wifi-wachtwoord: {pw}", 4200083), (f"Gastnetwerk {ctx.org}-gast, wachtwoord: {pw}", 4200083),
               (f"Gasten-wifi wachtwoord: {pw}", 4200083), (f"Wachtwoord: {pw} (gasten-wifi)", 4200084)],
        "es": [(f"Wifi de invitados — contraseña: {pw}", 4200083), (f"Red {ctx.org}-invitados, contraseña: {pw}", 4200083),
               (f"Contraseña del wifi de invitados: {pw}", 4200083), (f"Contraseña: {pw} (wifi de invitados)", 4200084)],
    }[lang][int(r * 4)]


# --- Webex (A3) -------------------------------------------------------------------------------

WEBEX_TEXT = {
    "en": dict(when="When it's time, join the Webex meeting here.",
               num="Meeting number (access code)", pw="Meeting password",
               twin="({n} from phones and video systems)", join="Join meeting",
               tap="Tap to join from a mobile device (attendees only)", phone="Join by phone",
               video="Join from a video system or application", hk="Host key",
               twin_label="Password if joining from a phone"),
    "de": dict(when="Wenn es soweit ist, nehmen Sie hier am Webex Meeting teil.",
               num="Meeting-Kennnummer (Zugriffscode)", pw="Meeting-Passwort",
               twin="({n} von Telefonen und Videosystemen)", join="Meeting beitreten",
               tap="Zum Beitreten über ein Mobilgerät tippen (nur Teilnehmer)",
               phone="Über Telefon beitreten", video="Über ein Videosystem oder eine Anwendung beitreten",
               hk="Hostschlüssel", twin_label="Passwort für die Einwahl per Telefon"),
    "fr": dict(when="Le moment venu, rejoignez la réunion Webex ici.",
               num="Numéro de la réunion (code d’accès)", pw="Mot de passe de la réunion",
               twin="({n} depuis les téléphones et les systèmes vidéo)", join="Rejoindre la réunion",
               tap="Appuyez pour rejoindre depuis un appareil mobile (participants uniquement)",
               phone="Rejoindre par téléphone", video="Rejoindre depuis un système vidéo ou une application",
               hk="Clé de l’organisateur", twin_label="Mot de passe pour rejoindre par téléphone"),
    "nl": dict(when="Neem op het afgesproken tijdstip hier deel aan de Webex-vergadering.",
               num="Vergadernummer (toegangscode)", pw="Wachtwoord vergadering",
               twin="({n} vanaf telefoons en videosystemen)", join="Deelnemen aan vergadering",
               tap="Tik om deel te nemen vanaf een mobiel apparaat (alleen deelnemers)",
               phone="Deelnemen via telefoon", video="Deelnemen vanaf een videosysteem of -toepassing",
               hk="Hostsleutel", twin_label="Wachtwoord voor deelname via telefoon"),
    "es": dict(when="Cuando sea la hora, únase a la reunión de Webex aquí.",
               num="Número de reunión (código de acceso)", pw="Contraseña de la reunión",
               twin="({n} desde teléfonos y sistemas de video)", join="Entrar a la reunión",
               tap="Toque para unirse desde un dispositivo móvil (solo asistentes)",
               phone="Unirse por teléfono", video="Unirse desde un sistema o aplicación de video",
               hk="Clave de organizador", twin_label="Contraseña para unirse desde un teléfono"),
}


def t_webex(ctx, variant=None):
    rng, lang = ctx.rng, ctx.lang
    L = WEBEX_TEXT[lang]
    inv = Invite()
    v = variant or rng.choices(["full", "phonepw", "host", "nolink", "personal", "plainpw", "empty"],
                               [34, 12, 10, 12, 12, 10, 10])[0]
    inv.template = f"webex/{v}/{lang}"
    site = ctx.org
    mn = _digits(rng, rng.choice([10, 11]))
    mn_fmt = _group(mn, [4, 3, 4] if len(mn) == 11 else [3, 3, 4])
    mtid = draw(rng, 4200020, lambda: "m" + _tok(rng, HEX, 32))
    pw = draw(rng, 4200021, lambda: _mixed_code(rng, rng.randrange(8, 12)))
    twin = draw(rng, 4200022, lambda: _digits(rng, 8))
    sep = " : " if lang == "fr" else ": "
    join = f"https://{site}.webex.com/{site}/j.php?MTID={mtid}"
    lines = []
    if v == "personal":
        room = f"https://{site}.webex.com/meet/{ctx.host_name.split()[0].lower()}"
        lines = [L["when"], "", Link(L["join"], room, "outlook" if rng.random() < 0.5 else "colon"),
                 "", KV(L["num"], mn_fmt, sep), "", L["phone"], "+1-415-555-0199 United States Toll",
                 "", "Need help? Go to https://help.webex.com"]
    else:
        lines = [L["when"], "", KV(L["num"], mn_fmt, sep)]
        if v == "empty":
            lines.append(rng.choice([f"{L['pw']}:", f"{L['pw']}: (none)", f"{L['pw']}: ******",
                                     f"{L['pw']}: will be sent separately"]))
        elif v == "phonepw":
            lines += [KV(L["pw"], pw, sep), KV(L["twin_label"], twin, sep)]
        elif v == "plainpw":
            lines.append(KV({"en": "Password", "de": "Passwort", "fr": "Mot de passe",
                             "nl": "Wachtwoord", "es": "Contraseña"}[lang], pw, sep))
        else:
            lines.append(KV(L["pw"], pw, sep, " " + L["twin"].format(n=twin)))
        lines.append("")
        if v != "nolink":
            lines += [Link(L["join"], join, rng.choice(["outlook", "colon", "newline"])), ""]
        code = f"{twin}#" if v in ("full", "phonepw", "host") else ""
        lines += [L["tap"], f"+1-415-555-0199,,{mn}#{code} United States Toll", "",
                  L["phone"], "+1-415-555-0199 United States Toll",
                  Link("Global call-in numbers",
                       f"https://{site}.webex.com/{site}/globalcallin.php?MTID={mtid}", "outlook"),
                  "", L["video"], f"Dial {mn}@{site}.webex.com",
                  "You can also dial 173.243.2.68 and enter your meeting number.", ""]
        if v == "host":
            hk = draw(rng, 4200023, lambda: _digits(rng, 6))
            lines += [KV(L["hk"], hk, sep), ""]
            inv.label(4200023, hk)
        lines.append("Need help? Go to https://help.webex.com")
        if v != "nolink":
            inv.label(4200020, mtid)
        if v != "empty":
            inv.label(4200021, pw)
        if v in ("full", "phonepw", "host", "nolink"):
            inv.label(4200022, twin)
    inv.lines = lines
    inv.summary = ctx.topic
    inv.location = join if v not in ("personal", "nolink") and rng.random() < 0.5 else \
        f"https://{site}.webex.com"
    inv.html = rng.random() < 0.5
    return inv


# --- GoTo (A4) --------------------------------------------------------------------------------

def t_goto(ctx, variant=None):
    rng = ctx.rng
    lang = ctx.lang if ctx.lang in ("en", "de") else "en"
    inv = Invite()
    v = variant or rng.choices(["plain", "password", "legacy"], [45, 40, 15])[0]
    inv.template = f"goto/{v}/{lang}"
    mid = _digits(rng, 9)
    acc = f"{mid[:3]}-{mid[3:6]}-{mid[6:]}"
    url = f"https://meet.goto.com/{mid}" if v != "legacy" else \
        f"https://global.gotomeeting.com/join/{mid}"
    pw = draw(rng, 4200030, lambda: _password(rng))
    if lang == "en":
        lines = [ctx.topic, ctx.when(), "", "Please join my meeting from your computer, tablet or "
                 "smartphone.", url, ""]
        if v == "password":
            lines += [KV("Password", pw), ""]
        lines += ["You can also dial in using your phone.", KV("Access Code", acc),
                  "United States: +1 (571) 555-0117", "",
                  f"One-touch: tel:+15715550117,,{mid}#", "",
                  "Get the app now and be ready when your first meeting starts:",
                  "https://meet.goto.com/install"]
    else:
        lines = [ctx.topic, ctx.when(), "", "Bitte nehmen Sie an meinem Meeting über Ihren Computer, "
                 "Tablet oder Ihr Smartphone teil.", url, ""]
        if v == "password":
            lines += [KV("Kennwort", pw), ""]
        lines += ["Sie können sich auch über Ihr Telefon einwählen.", KV("Zugangscode", acc),
                  "Deutschland: +49 721 555 0117", "", f"One-Touch: tel:+497215550117,,{mid}#"]
    if v == "password":
        inv.label(4200030, pw)
    inv.lines = lines
    inv.summary = ctx.topic
    inv.location = url if rng.random() < 0.6 else None
    inv.html = rng.random() < 0.3
    return inv


# --- BlueJeans (A5) ---------------------------------------------------------------------------

def t_bluejeans(ctx, variant=None):
    rng = ctx.rng
    inv = Invite()
    v = variant or rng.choices(["participant", "moderator", "idonly", "recording"],
                               [45, 20, 20, 15])[0]
    inv.template = f"bluejeans/{v}/en"
    mid = _digits(rng, rng.choice([9, 10]))
    pc = draw(rng, 4200035, lambda: _digits(rng, 4))
    mod = draw(rng, 4200036, lambda: _digits(rng, 4))
    while mod == pc:
        mod = draw(rng, 4200036, lambda: _digits(rng, 4))
    if v == "recording":
        inv.lines = ["Recording of last week's session:",
                     f"https://bluejeans.com/s/{_tok(rng, B62, 12)}", "", "Meeting ID: " + mid]
        inv.summary = "Recording: " + ctx.topic
        inv.template = "bluejeans/recording/en"
        return inv
    link = f"https://bluejeans.com/{mid}" + (f"/{pc}" if v != "idonly" else "")
    lines = ["To join the Meeting:", link, "", "To join via Room System:",
             "Video Conferencing System: bjn.vc -or- 199.48.152.152", f"Meeting ID : {mid}"]
    if v != "idonly":
        lines.append(KV("Participant Passcode", pc, " : "))
    if v == "moderator":
        lines.append(KV("Moderator Passcode", mod, " : "))
    lines += ["", "To join via phone :", "1)  Dial:", "\t+1.408.555.0147 (US (San Jose))",
              "\t+1.888.555.0121 (US Toll Free)",
              "\t(see all numbers - https://www.bluejeans.com/numbers)",
              f"2)  Enter Meeting ID: {mid}"]
    if v != "idonly":
        lines.append(f"3)  Enter Participant Passcode: {pc}")
        inv.label(4200035, pc)
    if v == "moderator":
        inv.label(4200036, mod)
    inv.lines = lines
    inv.summary = ctx.topic
    inv.location = link if rng.random() < 0.5 else "BlueJeans"
    return inv


# --- Google Meet (A6) -------------------------------------------------------------------------

MEET_TEXT = {
    "en": dict(join="Join with Google Meet", dial="Or dial", more="More phone numbers",
               jp="Join by phone", learn="Learn more about Meet at", edit="Please do not edit this section."),
    "de": dict(join="Mit Google Meet teilnehmen", dial="Oder wählen Sie", more="Weitere Telefonnummern",
               jp="Per Telefon teilnehmen", learn="Weitere Informationen zu Meet",
               edit="Bitte bearbeiten Sie diesen Abschnitt nicht."),
    "fr": dict(join="Participer avec Google Meet", dial="Ou appelez le", more="Autres numéros de téléphone",
               jp="Participer par téléphone", learn="En savoir plus sur Meet",
               edit="Veuillez ne pas modifier cette section."),
    "nl": dict(join="Deelnemen met Google Meet", dial="Of bel", more="Meer telefoonnummers",
               jp="Deelnemen via telefoon", learn="Meer informatie over Meet",
               edit="Bewerk dit gedeelte niet."),
    "es": dict(join="Unirse con Google Meet", dial="O marca el", more="Más números de teléfono",
               jp="Unirse por teléfono", learn="Más información sobre Meet",
               edit="No edites esta sección."),
}
MEET_PHONE = {"en": "(US) +1 234-555-0147", "de": "(DE) +49 30 555 0147", "fr": "(FR) +33 1 55 50 01 47",
              "nl": "(NL) +31 20 555 0147", "es": "(ES) +34 91 555 0147"}


def t_meet(ctx, variant=None):
    rng, lang = ctx.rng, ctx.lang
    L = MEET_TEXT[lang]
    inv = Invite()
    v = variant or rng.choices(["classic", "new", "telonly", "bare"], [35, 25, 10, 30])[0]
    inv.template = f"meet/{v}/{lang}"
    code = f"{_tok(rng, LOWER, 3)}-{_tok(rng, LOWER, 4)}-{_tok(rng, LOWER, 3)}"
    url = f"https://meet.google.com/{code}"
    pin = draw(rng, 4200040, lambda: _digits(rng, rng.choice([9, 9, 9, 11])))
    telpin = draw(rng, 4200040, lambda: _digits(rng, 13))
    tel = f"https://tel.meet/{code}?pin={telpin}" + ("&hs=7" if v == "classic" else "")
    pl = "Pincode" if lang == "nl" else "PIN"
    psep = " : " if lang == "fr" else ": "
    user = [f"Agenda: {ctx.topic.lower()}", ""] if rng.random() < 0.5 else []
    bar = "-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-"
    if v == "classic":
        pin_s = _group(pin, [3, 3, 3]) if len(pin) == 9 else pin
        lines = user + [bar, f"{L['join']}: {url}",
                        f"{L['dial']}: {MEET_PHONE[lang]} {pl}{psep}{pin_s}#", f"{L['more']}: {tel}", "",
                        f"{L['learn']}: https://support.google.com/a/users/answer/9282720", "",
                        L["edit"], bar]
        inv.label(4200040, pin_s)
    elif v == "new":
        lines = user + [L["join"], url, "", L["jp"], f"{MEET_PHONE[lang]} {pl}{psep}{pin}", "",
                        L["more"], tel, "", f"{L['learn']}: https://support.google.com/a/users/answer/9282720"]
        inv.label(4200040, pin)
    elif v == "telonly":
        lines = user + [L["join"], url, "", f"View more phone numbers: {tel}"]
        inv.label(4200040, telpin)
    else:
        lines = user + [bar, f"{L['join']}: {url}", "",
                        f"{L['learn']}: https://support.google.com/a/users/answer/9282720", "",
                        L["edit"], bar]
    inv.lines = lines
    inv.summary = ctx.topic
    inv.props.append(("X-GOOGLE-CONFERENCE", [], url, False))
    inv.location = None if rng.random() < 0.7 else "Room 4B"
    return inv


# --- Amazon Chime (A7) ------------------------------------------------------------------------

def t_chime(ctx, variant=None):
    rng = ctx.rng
    inv = Invite()
    v = variant or rng.choices(["standard", "pin"], [55, 45])[0]
    inv.template = f"chime/{v}/en"
    mid = _digits(rng, 10)
    mid_fmt = f"{mid[:4]} {mid[4:6]} {mid[6:]}"
    pin = draw(rng, 4200045, lambda: _digits(rng, 10))
    pin_fmt = f"{pin[:4]} {pin[4:6]} {pin[6:]}"
    lines = ["-- Amazon Chime Meeting Instructions --", ""]
    if v == "standard":
        lines += [f"Click to join the meeting: https://chime.aws/{mid}", f"Meeting ID: {mid_fmt}"]
        dial = mid
    else:
        vanity = ctx.host_name.split()[0].lower() + ctx.host_name.split()[-1].lower()[:3]
        lines += [f"Click to join the meeting: https://chime.aws/{vanity}",
                  f"Meeting ID: {vanity}", KV("Meeting PIN", pin_fmt)]
        dial = pin
        inv.label(4200045, pin_fmt)
    lines += ["A headset is recommended or you may use your computer’s microphone and speakers.", "",
              "Call in using your mobile device:", f"+1 206-555-0169,,{dial}# (United States (1))", "",
              "Call in with your phone:", "  United States (1): +1 206-555-0169",
              "  International: https://chime.aws/dialinnumbers/", "",
              f"Join from the Chime app: chime://meeting?pin={dial}", "",
              "Dial-in attendees must enter the Meeting ID." if v == "standard" else ""]
    inv.lines = lines
    inv.summary = ctx.topic
    inv.location = "Amazon Chime"
    return inv


# --- RingCentral (A8) -------------------------------------------------------------------------

def t_ringcentral(ctx, variant=None):
    rng = ctx.rng
    inv = Invite()
    v = variant or rng.choices(["video", "conf", "confhost", "legacy", "nopw"], [30, 22, 14, 14, 20])[0]
    inv.template = f"ringcentral/{v}/en"
    if v in ("video", "nopw"):
        mid = _digits(rng, 9)
        pw = draw(rng, 4200050, lambda: _tok(rng, HEX, 32))
        url = f"https://v.ringcentral.com/join/{mid}" + (f"?pw={pw}" if v == "video" else "")
        num = draw(rng, 4200051, lambda: _digits(rng, 7))
        lines = [f"{ctx.host_name} is inviting you to a RingCentral Video meeting.", "",
                 f"Join the meeting: {url}", "", f"Meeting ID: {mid}"]
        if v == "video":
            lines.append(KV("Password", num))
            inv.label(4200050, pw)
            inv.label(4200051, num)
        lines += ["", "Or dial: +1 650-555-0105 (United States)",
                  "International numbers: https://v.ringcentral.com/dialin/"]
        inv.location = url
    elif v == "legacy":
        mid = _digits(rng, 10)
        pwd = draw(rng, 4200050, lambda: _tok(rng, B62, 28) + "09")
        num = draw(rng, 4200051, lambda: _digits(rng, 6))
        url = f"https://meetings.ringcentral.com/j/{mid}?pwd={pwd}"
        lines = ["Please join my meeting from your computer, tablet or smartphone.", "",
                 f"RingCentral Meetings: {url}", "", f"Meeting ID: {_group(mid, [3, 3, 4])}",
                 KV("Password", num)]
        inv.label(4200050, pwd)
        inv.label(4200051, num)
        inv.location = url
    else:
        part = draw(rng, 4200052, lambda: _group(_digits(rng, 6), [3, 3]))
        host = draw(rng, 4200053, lambda: _group(_digits(rng, 6), [3, 3]))
        lines = ["Please join the RingCentral conference call:", "",
                 "Dial-in Number: (773) 555-0136", KV("Participant Access", part, tail="#"),
                 "International Dial-in Numbers: https://ringcentr.al/" + _tok(rng, B62, 7)]
        inv.label(4200052, part)
        if v == "confhost":
            lines.insert(4, KV("Host Access", host, tail="#"))
            inv.label(4200053, host)
        inv.location = "RingCentral Conferencing"
    inv.lines = lines
    inv.summary = ctx.topic
    return inv


# --- Jitsi (A9) -------------------------------------------------------------------------------

def t_jitsi(ctx, variant=None):
    rng = ctx.rng
    lang = ctx.lang if ctx.lang in ("en", "de") else "en"
    inv = Invite()
    v = variant or rng.choices(["dialin", "nodial", "password", "pinline"], [45, 25, 15, 15])[0]
    inv.template = f"jitsi/{v}/{lang}"
    room = "".join(rng.sample(["Quiet", "Fake", "Orbits", "Wander", "Brave", "Lunar", "Cats",
                               "Sing", "Early", "Rivers", "Green", "Foxes"], 4))
    base = "https://meet.jit.si" if rng.random() < 0.6 else f"https://meet.{ctx.org}.example"
    url = f"{base}/{room}"
    pin = draw(rng, 4200060, lambda: _digits(rng, 10))
    if lang == "en":
        lines = [f"{ctx.host_name} is inviting you to a meeting.", "", "Join the meeting:", url, ""]
        if v in ("dialin", "password"):
            lines += [f"To join by phone instead, tap this: +1.512.555.0143,,{pin}#", "",
                      "Looking for a different dial-in number?",
                      f"See meeting dial-in numbers: {base}/static/dialInInfo.html?room={room}", ""]
        elif v == "pinline":
            lines += ["Join by phone: +1.512.555.0143", KV("PIN", pin, tail="#"),
                      f"See meeting dial-in numbers: {base}/static/dialInInfo.html?room={room}", ""]
        lines.append("If also dialing-in through a room phone, join without connecting to audio: "
                     f"{url}#config.startSilent=true")
    else:
        lines = [f"{ctx.host_name} lädt Sie zu einem Meeting ein.", "", "Meeting beitreten:", url, ""]
        if v in ("dialin", "password"):
            lines += ["Wenn Sie sich stattdessen per Telefon einwählen möchten, tippen Sie hier: "
                      f"+49.89.555.0143,,{pin}#", "", "Suchen Sie eine andere Einwahlnummer?",
                      f"Einwahlnummern des Meetings: {base}/static/dialInInfo.html?room={room}", ""]
        elif v == "pinline":
            lines += ["Telefonische Einwahl: +49.89.555.0143", KV("PIN", pin, tail="#"),
                      f"Einwahlnummern: {base}/static/dialInInfo.html?room={room}", ""]
        lines.append("Wenn Sie über ein Raumtelefon einwählen, ohne Audio beitreten: "
                     f"{url}#config.startSilent=true")
    if v in ("dialin", "password", "pinline"):
        inv.label(4200060, pin)
    if v == "password":
        pw = draw(rng, 4200081, lambda: _password(rng))
        lines += ["", KV("Password" if lang == "en" else "Passwort", pw)]
        inv.label(4200081, pw)
    inv.lines = lines
    inv.summary = ctx.topic
    inv.location = url
    return inv


# --- generic bridges (A10) --------------------------------------------------------------------

BRIDGE = {
    "en": dict(dial="Dial-in", labels=[("Participant code", 4200070), ("Conference ID", 4200070),
                                        ("Access code", 4200070), ("Bridge PIN", 4200070),
                                        ("Entry code", 4200070), ("Guest code", 4200070),
                                        ("Conference PIN", 4200070), ("Participant PIN", 4200070)],
               high=["Moderator PIN", "Host code", "Chairperson PIN", "Leader code"],
               inline="Dial-in {ph}, participant code {code}#", phones=["+44 20 7946 0958",
                                                                       "+1 555 010 0123"]),
    "de": dict(dial="Einwahl", labels=[("Teilnehmer-PIN", 4200070), ("Teilnehmercode", 4200070),
                                        ("Konferenz-PIN", 4200070), ("Zugangscode", 4200070),
                                        ("Einwahlcode", 4200070)],
               high=["Moderatoren-PIN", "Moderator-PIN", "Leitercode"],
               inline="Einwahl {ph}, Teilnehmercode {code}#", phones=["+49 30 555 0142",
                                                                       "+49 89 555 0177"]),
    "fr": dict(dial="Numéro d’accès", labels=[("Code participant", 4200070),
                                              ("Code d’accès", 4200070),
                                              ("Code de conférence", 4200070)],
               high=["Code animateur", "Code organisateur"],
               inline="Accès : {ph}, code participant {code}#", phones=["+33 1 55 50 01 42",
                                                                        "+33 4 55 50 01 88"]),
    "nl": dict(dial="Inbelnummer", labels=[("Deelnemerscode", 4200070), ("Toegangscode", 4200070),
                                           ("Conferentiecode", 4200070), ("Inbelcode", 4200070)],
               high=["Voorzitterscode", "Organisatorcode"],
               inline="Inbellen: {ph}, deelnemerscode {code}#", phones=["+31 20 555 0142",
                                                                       "+31 30 555 0199"]),
    "es": dict(dial="Número de acceso", labels=[("Código de participante", 4200070),
                                                ("Código de acceso", 4200070),
                                                ("PIN de conferencia", 4200070)],
               high=["Código del moderador", "Código de organizador"],
               inline="Acceso: {ph}, código de participante {code}#",
               phones=["+34 91 555 0142", "+34 93 555 0166"]),
}


BRIDGE_GROUPS = {6: [3, 3], 7: [4, 3], 8: [4, 4], 9: [3, 3, 3], 10: [3, 3, 4]}


def _bridge_code(rng, sid):
    def fn():
        n = rng.choice([6, 7, 8, 8, 9, 10])
        d = _digits(rng, n)
        style = rng.random()
        if style < 0.4:
            return d
        g = _group(d, BRIDGE_GROUPS[n])
        return g if style < 0.8 else g.replace(" ", "-")
    return draw(rng, sid, fn)


def t_bridge(ctx, variant=None):
    rng, lang = ctx.rng, ctx.lang
    B = BRIDGE[lang]
    inv = Invite()
    v = variant or rng.choices(["label", "inline", "leader", "dialstring", "tel", "phonesonly"],
                               [34, 14, 18, 12, 6, 16])[0]
    inv.template = f"bridge/{v}/{lang}"
    code = _bridge_code(rng, 4200070)
    ph = rng.choice(B["phones"])
    sep = " : " if lang == "fr" else ": "
    lines = [rng.choice([ctx.topic, f"{ctx.topic} — audio bridge", f"{ctx.topic} (conference call)"]), ""]
    if v in ("label", "leader"):
        label, sid = rng.choice(B["labels"])
        lines += [KV(B["dial"], f"{ph}", sep), KV(label, code, sep, rng.choice(["", "#", " #"]))]
        inv.label(sid, code)
        if v == "leader":
            lead = draw(rng, 4200071, lambda: _digits(rng, rng.choice([4, 5, 6])))
            lines.append(KV(rng.choice(B["high"]), lead, sep, rng.choice(["", "#"])))
            inv.label(4200071, lead)
    elif v == "inline":
        code = draw(rng, 4200070, lambda: _group(_digits(rng, 8), [4, 4]))
        lines.append(B["inline"].format(ph=ph, code=code))
        inv.label(4200070, code)
    elif v == "dialstring":
        code = draw(rng, 4200072, lambda: _digits(rng, rng.choice([6, 8, 9])))
        compact = "+" + "".join(c for c in ph if c.isdigit())
        lines += [rng.choice(["Join by phone:", "One tap:", "Mobile:", "Dial:"]) + f" {compact},,{code}#",
                  f"({ph})"]
        inv.label(4200072, code)
    elif v == "tel":
        code = draw(rng, 4200072, lambda: _digits(rng, 8))
        compact = "+" + "".join(c for c in ph if c.isdigit())
        lines += [f"Tap to join: tel:{compact},,{code}%23"]
        inv.label(4200072, code)
    else:
        lines += [KV(B["dial"], f"{ph}", sep), f"{rng.choice(B['phones'])}",
                  rng.choice(["Conference room 4B", "Agenda to follow.",
                              "The access code will be shared in the chat.",
                              "Dial-in numbers for other countries are on the intranet."])]
    inv.lines = lines
    inv.summary = ctx.topic
    r = rng.random()
    if r < 0.3 and v in ("label",):
        # Some clients keep the code in LOCATION only
        inv.location = f"{ph} / {lines[-1].text() if hasattr(lines[-1], 'text') else lines[-1]}"
        inv.lines = lines[:1]
    elif r < 0.5:
        inv.location = rng.choice(["Phone", "Conference call", "Telefonkonferenz", "Room 4B"])
    return inv


# --- generic passwords (A11) ------------------------------------------------------------------

GENERIC_PW = {
    "en": [("Guest Wi-Fi password: {pw}", 4200083), ("The password is {pw}", 4200081),
           ("Webinar passcode: {pc}", 4200080), ("Door PIN: {pin}", 4200082),
           ("PIN: {pin} (meeting room display)", 4200082), ("Zip file password - {pw}", 4200083),
           ("pwd: {pw}", 4200081), ("Passcode: {pc}", 4200080), ("Password = {pw}", 4200081),
           ("Please use PIN {pin} at the door", None)],
    "de": [("Gast-WLAN-Passwort: {pw}", 4200083), ("Das Kennwort ist {pw}", 4200081),
           ("Kenncode: {pc}", 4200080), ("PIN: {pin}", 4200082), ("Passwort für das Archiv: {pw}", None),
           ("Passwort: {pw}", 4200081)],
    "fr": [("Wi-Fi invité — mot de passe : {pw}", 4200083), ("Le mot de passe est {pw}", 4200081),
           ("Code secret : {pc}", 4200080), ("Code secret\u00a0: {pc}", 4200080),
           ("PIN : {pin}", 4200082)],
    "nl": [("Wifi-wachtwoord: {pw}", 4200083), ("Het wachtwoord is {pw}", 4200081),
           ("Pincode: {pin}", 4200082), ("Wachtwoord: {pw}", 4200081)],
    "es": [("Wifi de invitados — contraseña: {pw}", 4200083), ("La contraseña es {pw}", 4200081),
           ("Clave: {pw}", 4200081), ("PIN: {pin}", 4200082), ("Contraseña: {pw}", 4200081)],
}
GENERIC_INTRO = {
    "en": ["Hi all, see you in the 3rd floor lounge.", "Agenda: introductions, demo, next steps.",
           "On-site workshop; bring your laptop.", "Hybrid meeting on our own video platform."],
    "de": ["Hallo zusammen, wir treffen uns im Besprechungsraum 2.", "Agenda: Vorstellung, Demo, nächste Schritte."],
    "fr": ["Bonjour à tous, rendez-vous en salle Rivoli.", "Ordre du jour : présentation, démo, suite."],
    "nl": ["Hallo allemaal, we zitten in vergaderruimte De Dam.", "Agenda: kennismaking, demo, vervolgstappen."],
    "es": ["Hola a todos, nos vemos en la sala Retiro.", "Orden del día: presentación, demo, próximos pasos."],
}


def t_generic(ctx, variant=None):
    rng, lang = ctx.rng, ctx.lang
    inv = Invite("VTODO" if rng.random() < 0.08 else "VEVENT")
    choices = [x for x in GENERIC_PW[lang] if x[1] is not None or rng.random() < 0.3]
    line, sid = rng.choice(choices)
    pw = draw(rng, 4200081, lambda: _password(rng))
    pc = draw(rng, 4200080, lambda: _password(rng) if rng.random() < 0.5 else
              _mixed_code(rng, rng.choice([6, 8])))
    pin = draw(rng, 4200082, lambda: _digits(rng, rng.choice([4, 5, 6, 6, 8])))
    text = line.format(pw=pw, pc=pc, pin=pin)
    inv.template = f"generic/{line.split('{')[0].strip()[:24]}/{lang}"
    lines = [rng.choice(GENERIC_INTRO[lang]), "", text]
    where = rng.random()
    if where < 0.15:
        inv.location = f"Room {rng.randrange(1, 9)}{rng.choice('ABC')} — {text}"
        lines = lines[:1]
    elif where < 0.25:
        inv.props.append(("COMMENT", [], text, True))
        lines = lines[:1]
    inv.lines = lines
    inv.summary = ctx.topic
    if sid is not None:
        inv.label(sid, {4200081: pw, 4200083: pw, 4200080: pc, 4200082: pin}[sid])
    inv.html = rng.random() < 0.25
    return inv


# --- negatives --------------------------------------------------------------------------------

def t_negative(ctx, variant=None):
    rng, lang = ctx.rng, ctx.lang
    inv = Invite()
    v = variant or rng.choice(["reset", "pinword", "phones", "prose", "placeholder", "ids",
                               "goto", "links", "policy"])
    inv.template = f"negative/{v}/{lang}"
    inv.summary = ctx.topic
    if v == "reset":
        inv.summary = rng.choice(["Password reset policy review", "Passwort-Richtlinie: Review",
                                  "Password reset flow demo"])
        inv.lines = [rng.choice(["Agenda: password rotation, MFA rollout, the username/password combination.",
                                 "Passwort vergessen? https://sso.example/reset",
                                 "We will walk through the password reset page and the forgot-password e-mail.",
                                 "Topic: reset password; bring questions."])]
    elif v == "pinword":
        inv.summary = rng.choice(["PIN pad rollout", "Pinterest campaign review", "Reset PIN kiosk pilot",
                                  "Pinned items cleanup"])
        inv.lines = [rng.choice(["Pinned: Q3 roadmap doc in the channel.",
                                 "Reset PIN at the kiosk before the session.",
                                 "PIN pad rollout to stores 12-40; PIN entry UX review.",
                                 "Pinterest board: https://www.pinterest.com/" + ctx.org])]
    elif v == "phones":
        inv.lines = ["Dial-in numbers:"] + ["  " + p for p in ctx.phones(3)] + [
            rng.choice(["Dial by your location", "Local numbers are on the intranet.",
                        "Call the front desk on arrival: +1 555 010 0142"])]
    elif v == "prose":
        inv.lines = [rng.choice(["Password: will be sent separately", "Passcode: Required",
                                 "Password: N/A", "PIN: same as before", "Passcode: TBD",
                                 "Meeting password: the same as last week",
                                 "This is a password-protected meeting.",
                                 "Passcode-protected: yes", "Participant code: will follow",
                                 "Conference ID: TBD", "Entry code is printed on your badge.",
                                 "Passwort: wird separat verschickt", "Mot de passe : envoyé séparément",
                                 "Wachtwoord: volgt per mail", "Contraseña: se enviará por separado",
                                 "Passcode: shared in the chat", "PIN: provided at reception",
                                 "Access code: see the dial-in page",
                                 "Use your username/password combination.",
                                 "Kenncode: folgt", "Code secret : voir ci-dessous"])]
    elif v == "placeholder":
        inv.lines = [rng.choice(["Passcode:", "Passcode: (none)", "Passcode: see below",
                                 "Passcode: <passcode>", "Passcode: ******", "PIN: 1234",
                                 "Password: ${MEETING_PASSWORD}", "Password: {{password}}",
                                 "Passcode: XXXXXX", "PIN: 0000", "Password: YOUR_PASSWORD",
                                 "Password: changeme", "PIN: 1212", "Password: %PASSWORD%",
                                 "Participant code: 123456", "Conference PIN: 0000"])]
    elif v == "ids":
        mid = _digits(rng, 11)
        inv.lines = [f"Meeting ID: {_group(mid, [3, 4, 4])}", f"Video ID: {_digits(rng, 10)}",
                     f"Tenant key: {rng.randrange(100000, 999999)}@t.plcm.vc"]
    elif v == "goto":
        return t_goto(ctx, "plain")
    elif v == "links":
        return rng.choice([lambda: t_meet(ctx, "bare"), lambda: t_teams(ctx, "bare"),
                           lambda: t_zoom(ctx, "idonly"), lambda: t_webex(ctx, "personal"),
                           lambda: t_bluejeans(ctx, "idonly"), lambda: t_chime(ctx, "standard"),
                           lambda: t_ringcentral(ctx, "nopw"), lambda: t_jitsi(ctx, "nodial")])()
    else:
        inv.lines = [rng.choice(["Conference room 4B; conference call bridge TBD.",
                                 "The access code is the meeting ID.",
                                 "Participant list attached. Host: " + ctx.host_name,
                                 "Reminder: change your password every 90 days.",
                                 "Palabras clave: innovación, datos, clientes."])]
    inv.html = rng.random() < 0.2
    return inv


def t_hard(ctx, variant=None):
    """A Wi-Fi password line appended to a full Zoom invitation, where the
    Zoom rules own bare password labels: only the qualifier rules (4200083,
    4200084) may take it. Rare, so that a regression shows in recall."""
    rng = ctx.rng
    inv = t_zoom(ctx, "full")
    pw = draw(rng, 4200081, lambda: _password(rng))
    text, sid = _wifi_line(ctx, pw)
    inv.lines = inv.lines + ["", text]
    inv.label(sid, pw)
    inv.template = inv.template.replace("zoom/", "hard/zoom+wifi/")
    return inv


TEMPLATES = [
    # (name, weight, fn)
    ("zoom", 17, t_zoom), ("teams", 14, t_teams), ("webex", 9, t_webex), ("goto", 4, t_goto),
    ("bluejeans", 3, t_bluejeans), ("meet", 9, t_meet), ("chime", 3, t_chime),
    ("ringcentral", 4, t_ringcentral), ("jitsi", 4, t_jitsi), ("bridge", 9, t_bridge),
    ("generic", 10, t_generic), ("negative", 14, t_negative), ("hard", 0.3, t_hard),
]


def _perturb(rng, inv):
    """What forwarding, copy-paste and mail clients do to an invitation's
    text: label case, separators, a no-break space or a full stop after a
    value, "> " quoting, lines joined."""
    for x in inv.lines:
        if not isinstance(x, KV):
            continue
        r = rng.random()
        if r < 0.05:
            x.label = x.label.upper()
        elif r < 0.1:
            x.label = x.label.lower()
        r = rng.random()
        if r < 0.04 and x.sep.strip() == ":":
            x.sep = ":\t"
        elif r < 0.08 and x.sep.strip() == ":":
            x.sep = ":"
        if not x.tail:
            r = rng.random()
            if r < 0.04:
                x.tail = NBSP
            elif r < 0.07:
                x.tail = "."
            elif r < 0.09:
                x.tail = " "
    r = rng.random()
    if r < 0.05:
        inv.lines = ["-----Original Appointment-----"] + [
            (QuotedLine(x) if x != "" else ">") for x in inv.lines]
    elif r < 0.1 and len(inv.lines) > 3:
        # a mail client joining lines: "Meeting ID: ... Passcode: ..."
        for i in range(len(inv.lines) - 1):
            a, b = inv.lines[i], inv.lines[i + 1]
            if isinstance(a, KV) and isinstance(b, KV) and not a.tail.strip() and \
                    not str(a.value).endswith("#"):
                inv.lines[i:i + 2] = [Joined(a, b)]
                break


class QuotedLine:
    def __init__(self, inner):
        self.inner = inner

    def text(self):
        t = self.inner.text() if hasattr(self.inner, "text") else self.inner
        return "\n".join("> " + x for x in t.split("\n"))

    def html(self, rng):
        h = self.inner.html(rng) if hasattr(self.inner, "html") else _esc_html(self.inner)
        return "&gt; " + h


class Joined:
    def __init__(self, a, b):
        self.a, self.b = a, b

    def text(self):
        # what a client's text conversion leaves between two table cells
        return self.a.text() + ("   " if len(self.a.text()) % 2 else " | ") + self.b.text()

    def html(self, rng):
        return self.a.html(rng) + " " + self.b.html(rng)


def make_invite(rng, template=None, lang=None):
    names = [t[0] for t in TEMPLATES]
    if template is None:
        template = rng.choices(names, [t[1] for t in TEMPLATES])[0]
    fn = dict((t[0], t[2]) for t in TEMPLATES)[template]
    ctx = Ctx(rng, lang or rng.choice(LANGS))
    inv = fn(ctx)
    if rng.random() < 0.5:
        _perturb(rng, inv)
    inv.lang = ctx.lang
    inv.ctx = ctx
    return inv


# --- iCalendar text -----------------------------------------------------------------------------

def escape_text(s):
    return (s.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\n").replace("\n", "\\n"))


def _param(v):
    return f'"{v}"' if any(c in v for c in ':;,') else v


def fold(line):
    """RFC 5545 folding at 75 octets, never inside a UTF-8 sequence."""
    b = line.encode()
    if len(b) <= 75:
        return line + "\r\n"
    out, cur, limit = [], bytearray(), 75
    for ch in line:
        e = ch.encode()
        if len(cur) + len(e) > limit:
            out.append(cur.decode())
            cur = bytearray(b" ")
            limit = 75
        cur += e
    out.append(cur.decode())
    return "\r\n".join(out) + "\r\n"


def prop(name, params, value, text=True):
    head = name + "".join(f";{k}={_param(v)}" for k, v in params)
    return fold(f"{head}:{escape_text(value) if text else value}")


def _stamp(rng):
    return (f"{rng.choice([2026, 2027])}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
            f"T{rng.randrange(7, 18):02d}{rng.choice(['00', '30'])}00")


def component_text(rng, inv, uid, client):
    """The component's lines, in the order client exports them."""
    ctx = inv.ctx
    start = _stamp(rng)
    end = start[:9] + f"{min(int(start[9:11]) + 1, 23):02d}" + start[11:]
    tz = TZ[inv.lang]
    org_mail = f"{ctx.host_name.split()[0].lower()}.{ctx.host_name.split()[-1].lower()}".replace(
        " ", "") + f"@{ctx.org}.example"
    org_mail = _ascii(org_mail)
    out = [f"BEGIN:{inv.kind}\r\n"]
    out.append(prop("UID", [], uid, False))
    out.append(prop("DTSTAMP", [], "20261101T090000Z", False))
    if inv.kind == "VEVENT":
        out.append(prop("DTSTART", [("TZID", tz)], start, False))
        out.append(prop("DTEND", [("TZID", tz)], end, False))
    else:
        out.append(prop("DUE", [("TZID", tz)], start, False))
    out.append(prop("SUMMARY", [("LANGUAGE", inv.lang)] if client == "outlook" else [], inv.summary))
    out.append(prop("ORGANIZER", [("CN", ctx.host_name)], f"mailto:{org_mail}", False))
    for _ in range(rng.randrange(0, 4)):
        who = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        mail = _ascii(who.split()[0].lower() + "@" + rng.choice(catalog.ORGS) + ".example")
        out.append(prop("ATTENDEE", [("CN", who), ("ROLE", "REQ-PARTICIPANT"),
                                     ("PARTSTAT", "NEEDS-ACTION"), ("RSVP", "TRUE")],
                        f"mailto:{mail}", False))
    extra_first = [p for p in inv.props if p[0] in ("X-GOOGLE-CONFERENCE", "CONFERENCE")]
    if client == "google":
        for name, params, value, text in extra_first:
            out.append(prop(name, params, value, text))
    desc = render_text(inv.lines)
    if inv.location is not None and client != "google":
        out.append(prop("LOCATION", [], inv.location))
    if desc:
        out.append(prop("DESCRIPTION", [], desc))
    if inv.location is not None and client == "google":
        out.append(prop("LOCATION", [], inv.location))
    for name, params, value, text in inv.props:
        if client == "google" and (name, params, value, text) in extra_first:
            continue
        out.append(prop(name, params, value, text))
    if inv.html and desc:
        out.append(prop("X-ALT-DESC", [("FMTTYPE", "text/html")], render_html(rng, inv.lines)))
    out.append(prop("SEQUENCE", [], "0", False))
    out.append(prop("STATUS", [], "CONFIRMED", False))
    if rng.random() < 0.3 and inv.kind == "VEVENT":
        out += ["BEGIN:VALARM\r\n", "TRIGGER:-PT15M\r\n", "ACTION:DISPLAY\r\n",
                "DESCRIPTION:Reminder\r\n", "END:VALARM\r\n"]
    out.append(f"END:{inv.kind}\r\n")
    return "".join(out)


def _ascii(s):
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


PRODIDS = {
    "outlook": "-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN",
    "google": "-//Google Inc//Google Calendar 70.9054//EN",
    "apple": "-//Apple Inc.//macOS 14.4//EN",
    "nextcloud": "-//IDN nextcloud.com//Calendar app 4.6.5//EN",
    "zoom": "-//zoom.us//iCalendar Event//EN",
}


def calendar_text(rng, invites, uids):
    client = rng.choice(list(PRODIDS))
    out = ["BEGIN:VCALENDAR\r\n", "VERSION:2.0\r\n", fold(f"PRODID:{PRODIDS[client]}"),
           "CALSCALE:GREGORIAN\r\n", f"METHOD:{rng.choice(['PUBLISH', 'REQUEST'])}\r\n"]
    if rng.random() < 0.5:
        out.append(prop("X-WR-CALNAME", [], rng.choice(["Team calendar", "Meetings", "Kalender",
                                                         "Agenda", "Work"])))
    if rng.random() < 0.4:
        out += ["BEGIN:VTIMEZONE\r\n", "TZID:Europe/Berlin\r\n", "BEGIN:STANDARD\r\n",
                "DTSTART:19701025T030000\r\n", "TZOFFSETFROM:+0200\r\n", "TZOFFSETTO:+0100\r\n",
                "END:STANDARD\r\n", "END:VTIMEZONE\r\n"]
    for inv, uid in zip(invites, uids):
        out.append(component_text(rng, inv, uid, client))
    out.append("END:VCALENDAR\r\n")
    return "".join(out)


class Corpus:
    """Draws calendars of labelled components from one seed."""

    def __init__(self, seed, tag="corpus"):
        self.rng = random.Random(f"plainsight-calendars/{tag}/{seed}")
        self.n = 0
        self.labels = {}
        self.templates = {}

    def uid(self):
        self.n += 1
        return f"{_tok(self.rng, HEX, 16)}-{self.n:06d}@plainsight-gen.example"

    def calendar(self, n_events, template=None):
        """(text, [uids])"""
        invs = [make_invite(self.rng, template) for _ in range(n_events)]
        uids = [self.uid() for _ in invs]
        for inv, uid in zip(invs, uids):
            self.labels[uid] = inv.labels
            self.templates[uid] = inv.template
        return calendar_text(self.rng, invs, uids), uids


def corpus(seed, components, per_calendar=(1, 20)):
    """[(text, uids)], labels, templates: about `components` components."""
    c = Corpus(seed)
    cals = []
    while c.n < components:
        k = 1 if c.rng.random() < 0.15 else c.rng.randint(*per_calendar)
        k = min(k, components - c.n)
        cals.append(c.calendar(k))
    return cals, c.labels, c.templates


# --- captures ---------------------------------------------------------------------------------
# Calendars as HTTP/1.1 transactions, through the generator's own layers
# (httpplan renders the messages, tcpsession the segments, pcapfile the file).

CAL_AGENTS = ["Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17531; Pro)",
              "Google-Calendar-Importer", "DAVx5/4.3.13-ose (2024/03/11; dav4jvm; okhttp/4.12.0) Android/14",
              "Thunderbird/115.10.1 Lightning", "macOS/14.4 (23E214) CalendarAgent/988",
              "ICSx5/2.2.3 (ical4j/3.2.14; okhttp/4.12.0) Android/14", "curl/8.5.0"]
CAL_PATHS = ["/calendar/{n}.ics", "/calendars/{user}/work.ics", "/remote.php/dav/calendars/{user}/personal?export",
             "/ical/{user}/basic.ics", "/api/v1/calendars/{user}/feed.ics", "/caldav/{user}/calendar/"]


def _cal_path(rng, n):
    user = _ascii(rng.choice(FIRST).lower())
    return rng.choice(CAL_PATHS).format(n=n, user=user)


def _feed_tx(rng, tx, text, n):
    tx.method = "GET"
    tx.uri = _cal_path(rng, n)
    tx.status = 200
    tx.set_body("text/calendar; charset=utf-8", text.encode())


def _upload_tx(rng, tx, text, uid):
    user = _ascii(rng.choice(FIRST).lower())
    tx.method = "PUT"
    tx.uri = rng.choice([f"/remote.php/dav/calendars/{user}/personal/{uid.split('@')[0]}.ics",
                         f"/caldav/{user}/calendar/{uid.split('@')[0]}.ics",
                         f"/dav/calendars/user/{user}/Default/{uid.split('@')[0]}.ics"])
    tx.request_headers = [(k, v) for k, v in tx.request_headers
                          if k.lower() not in ("content-type", "range", "if-none-match")]
    tx.request_headers.append(("Content-Type", "text/calendar; charset=utf-8"))
    if rng.random() < 0.5:
        tx.request_headers.append(("If-None-Match", "*"))
    tx.request_body = text.encode()
    tx.status = 201
    tx.content_type = None
    tx.entity = b""
    tx.gzip = tx.chunked = tx.close_delimited = False
    tx.response_headers = [("ETag", f'"{_tok(rng, HEX, 16)}"')]


def _records(labels, uids, key, tx_id):
    out = []
    for uid in uids:
        for lab in labels[uid]:
            out.append({"flow": dict(key), "tx_id": tx_id, "sid": lab["sid"], "kind": lab["kind"],
                        "where": "calendar", "secret": lab["secret"], "uid": uid})
    return out


class CalendarPlanter:
    """plant(rng, plan, flow, taken) hook for gen_traffic.py --calendars PCT.

    For PCT % of sessions one transaction becomes a calendar: 75 % a feed
    fetch (a GET answered 200 now carries text/calendar with 1-10
    components drawn from the corpus templates, positives and negatives
    mixed; the plan's gzip/chunked choice is kept), 25 % a CalDAV PUT upload
    (the request body is a calendar with one component; 201 Created).
    `taken` are transactions another planter already used. Records follow
    secrets.py's format with where "calendar" and the component's uid.

    Draws from its own random.Random seeded from --seed (and the corpus
    from another), never from the session's: sessions without a calendar
    are byte-identical to the same capture made without --calendars."""

    def __init__(self, seed, pct):
        self.rng = random.Random(f"plainsight-calendars/planter/{seed}")
        self.corpus = Corpus(seed, tag="planter")
        self.pct = pct
        self.n = 0

    def __call__(self, _session_rng, plan, flow, taken=()):
        rng = self.rng
        if rng.random() * 100 >= self.pct:
            return []
        specs = plan.specs()
        gets = [i for i, tx in enumerate(specs) if i not in taken and tx.method == "GET"
                and tx.status == 200 and tx.has_response_body()]
        puts = [i for i, tx in enumerate(specs) if i not in taken and not tx.pipelined
                and tx.method in ("PUT", "POST")]
        key = {"src_ip": flow["src_ip"], "src_port": flow["src_port"],
               "dest_ip": flow["dest_ip"], "dest_port": flow["dest_port"]}
        self.n += 1
        if puts and (rng.random() < 0.25 or not gets):
            i = rng.choice(puts)
            text, uids = self.corpus.calendar(1)
            _upload_tx(rng, specs[i], text, uids[0])
        elif gets:
            i = rng.choice(gets)
            text, uids = self.corpus.calendar(rng.randint(1, 10))
            _feed_tx(rng, specs[i], text, self.n)
        else:
            return []
        return _records(self.corpus.labels, uids, key, i)


def write_capture(path, cals, labels, seed, start_us=1795680000000000, put_pct=40):
    """Write [(text, uids)] as HTTP/1.1 sessions (1-5 transactions each;
    feeds fetched with GET, some gzip/chunked; put_pct % of the calendars
    with a single component uploaded with a CalDAV PUT instead) to a
    pcap. Returns the truth: flows with their transactions, and the alerts
    expected, one per label: {flow, tx_id, sid, kind, where, secret, uid}."""
    from .httpplan import SessionPlan, TxSpec, render_writes
    from .packet import link_header
    from .pcapfile import PcapWriter
    from .tcpsession import Session
    import email.utils

    rng = random.Random(f"plainsight-calendars/capture/{seed}")
    w = PcapWriter(path, 1)
    t = start_us
    flows, alerts = [], []
    i, port, n = 0, 40000, 0
    while i < len(cals):
        group = cals[i:i + min(rng.randint(1, 5), len(cals) - i)]
        i += len(group)
        client = f"10.{rng.randrange(1, 250)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"
        server = f"{rng.choice(['192.0.2', '198.51.100', '203.0.113'])}.{rng.randrange(1, 255)}"
        host = f"{rng.choice(['calendar', 'cal', 'dav', 'groupware'])}.{rng.choice(catalog.ORGS)}.example"
        port = port + 1 if port < 65000 else 40000
        cmac, smac = bytes([2]) + rng.randbytes(5), bytes([2]) + rng.randbytes(5)
        date = email.utils.formatdate(t / 1e6, usegmt=True)
        ua = rng.choice(CAL_AGENTS)
        plan = SessionPlan()
        txs = []
        for text, uids in group:
            n += 1
            tx = TxSpec()
            tx.host = tx.host_header = host
            tx.user_agent = ua
            tx.date = date
            tx.server = rng.choice(["nginx", "Apache/2.4.58 (Debian)", "Microsoft-IIS/10.0"])
            tx.request_headers = [("Accept", "text/calendar, */*;q=0.5")]
            if rng.random() * 100 < put_pct and len(uids) == 1:
                _upload_tx(rng, tx, text, uids[0])
            else:
                tx.request_headers.append(("Accept-Encoding", "gzip"))
                _feed_tx(rng, tx, text, n)
                tx.gzip = rng.random() < 0.25
                tx.chunked = rng.random() < 0.25
                tx.response_headers = [("Cache-Control", "private, max-age=300")]
            txs.append(tx)
        plan.groups = [[tx] for tx in txs]
        plan.think = [rng.randrange(200, 20000) for _ in txs]
        plan.server_delay = [rng.randrange(500, 30000) for _ in txs]
        plan.close, plan.closer = "fin", 0
        writes, http = render_writes(plan, rng)
        links = [link_header(1, 4, cmac, smac, [], True), link_header(1, 4, smac, cmac, [], False)]
        sess = Session(rng, 1, links, client, port, server, 80, (64, 52), t, writes, True, 0, 0, 0)
        for batch in sess.batches():
            for ev in batch:
                w.write(ev[0], ev[1])
        key = {"src_ip": client, "src_port": port, "dest_ip": server, "dest_port": 80}
        flows.append({"flow": key, "http": http})
        for tx_id, (_, uids) in enumerate(group):
            alerts += _records(labels, uids, key, tx_id)
        t = sess.last + rng.randrange(1000, 200000)
    w.close()
    return {"flows": flows, "alerts": alerts, "packets": w.packets}
