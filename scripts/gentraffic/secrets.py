"""Planted secrets (--secrets PCT): capability URLs and tokens of the kinds
the shipped rules find (rules/plainsight.rules, family B, and family C's
redirect upgrade), plus look-alikes that must not alert.

For PCT % of sessions one transaction is edited between planning and
rendering to carry a secret, either

  - in the request target: the transaction's host becomes the kind's host
    (e.g. outlook.office365.com; kinds that live on any site keep the
    session's host), and for some B1/B2/B10 plants the response becomes a
    301 to the same URL on https:// with an empty body (family C), or
  - as a link in the response body (HTML, JSON with escaped slashes, or
    text), for the kinds with a body rule; the plan's gzip/chunked choice
    is kept.

For another PCT % of sessions (capped at what is left) one transaction gets
a decoy instead: a public calendar, a Bookings page, a bare Teams
meetup-join link, placeholder tokens, an unsigned S3 object, ... Decoys
are not recorded; they must raise nothing.

Each planted secret yields a truth record
  {"flow": {src_ip, src_port, dest_ip, dest_port}, "tx_id": index of the
   transaction in the flow (the truth's http list), "sid": the rule that
   must alert, "kind": "b1".."b12", "where": "uri" | "body", "secret": ...}
and a redirect upgrade a second record with sid 4300001 and the same secret.

Randomness: the planter draws from its own random.Random seeded from
--seed, never from the session's, so every session that gets no plant is
byte-identical to the same capture made without --secrets. Secret values
are random per plant with each kind's alphabet and length, and are drawn
again until they clear the rule's min_len and min_entropy with a margin
and look nothing like a placeholder.
"""

import base64
import collections
import json
import math
import random

from . import catalog

HEX = "0123456789abcdef"
DIGITS = "0123456789"
LOWER36 = "abcdefghijklmnopqrstuvwxyz0123456789"
UPPER36 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
B62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
B64U = B62 + "-_"

SID_REDIRECT = 4300001
ENTROPY_MARGIN = 0.15

PEOPLE = ["jane.doe", "j.smith", "alex.meyer", "maria.garcia", "team-calendar", "it-support",
          "l.nguyen", "sam.okafor", "events", "k.tanaka", "p.rossi", "office"]
FILES = ["budget.xlsx", "q3-report.pdf", "minutes.docx", "roadmap.pptx", "photos.zip",
         "invoice-0424.pdf", "design.fig", "notes.txt", "export.csv", "contract.pdf"]
REGIONS = ["eu-west-1", "us-east-1", "us-west-2", "eu-central-1", "ap-southeast-2"]
AZ_REGIONS = ["westeurope", "northeurope", "eastus", "westus2", "uksouth"]


def _tok(rng, alphabet, n):
    return "".join(rng.choices(alphabet, k=n))


def _guid(rng):
    h = _tok(rng, HEX, 32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64_pct(rng, nbytes):
    """(secret, full value): standard base64 of random bytes, percent-encoded
    as a query value; the secret leaves out the %3D padding."""
    raw = base64.b64encode(rng.randbytes(nbytes)).decode()
    body = raw.rstrip("=").replace("+", "%2B").replace("/", "%2F")
    return body, body + "%3D" * (len(raw) - len(raw.rstrip("=")))


def _jwt(rng, claims, alg="HS256"):
    head = _b64url(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    return f"{head}.{body}.{_b64url(rng.randbytes(32))}"


def _org(rng):
    return rng.choice(catalog.ORGS)


def _domain(rng):
    return f"{_org(rng)}.example"


def _entropy(s):
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in collections.Counter(s).values())


def _looks_placeholder(s):
    """Stricter than the engine's whole-value test: no run of 5 repeated or
    consecutive characters, no period <= 4, no stop word anywhere."""
    low = s.lower()
    for i in range(len(low) - 4):
        w = low[i:i + 5]
        if len(set(w)) == 1:
            return True
        d = [ord(w[j + 1]) - ord(w[j]) for j in range(4)]
        if d in ([1] * 4, [-1] * 4):
            return True
    for p in range(1, 5):
        if all(s[i] == s[i - p] for i in range(p, len(s))):
            return True
    return any(w in low for w in ("example", "token", "secret", "redacted", "changeme",
                                  "password", "xxxx", "test", "fake"))


# --- the kinds ------------------------------------------------------------------
# Each builder returns (host or None for the session's own host, target, secret).
# Kind table: name -> (kind, uri sid, body sid or None, min_len, min_entropy,
# redirect-upgrade candidate, builder). min_len/min_entropy mirror the rules.

def _b1_business(rng, site):
    token = _tok(rng, HEX, 32) + _tok(rng, DIGITS, rng.randrange(17, 21))
    mailbox = f"{_tok(rng, HEX, 32)}@{_domain(rng)}"
    if rng.random() < 0.2:
        sid_ = "S-1-8-" + "-".join(str(rng.randrange(10 ** 8, 10 ** 10)) for _ in range(4))
        path = f"/owa/calendar/{mailbox}/{sid_}/{token}/reachcalendar.{rng.choice(['ics', 'html'])}"
    else:
        path = f"/owa/calendar/{mailbox}/{token}/calendar.{rng.choice(['ics', 'ics', 'html'])}"
    return rng.choice(["outlook.office365.com", "outlook.office.com"]), path, token


def _b1_consumer(rng, site):
    guid = _guid(rng)
    cid = _tok(rng, HEX.upper(), 16)
    page = rng.choice(["calendar.ics", "index.html"])
    return ("outlook.live.com",
            f"/owa/calendar/00000000-0000-0000-0000-000000000000/{guid}/cid-{cid}/{page}", guid)


def _b2(rng, site):
    token = _tok(rng, HEX, 32)
    cal = (f"{rng.choice(PEOPLE)}%40{_domain(rng)}" if rng.random() < 0.7
           else f"{_tok(rng, LOWER36, 26)}%40group.calendar.google.com")
    path = f"/calendar/ical/{cal}/private-{token}/{rng.choice(['basic', 'basic', 'full'])}.ics"
    if rng.random() < 0.2:
        path += "?futureevents=true"
    return "calendar.google.com", path, token


def _b3(rng, site):
    acct = str(rng.randrange(10 ** 9, 10 ** 11))
    token = _b64url((acct * 3)[:20].encode()) + _tok(rng, B64U, 80)
    return f"p{rng.randrange(1, 180)}-caldav.icloud.com", f"/published/2/{token}", token


def _b5_sharepoint(rng, site):
    org = _org(rng)
    token = (rng.choice(["E", "IQ"])) + _tok(rng, B64U, 45)
    letter = rng.choice("wxpbf")
    if rng.random() < 0.6:
        upn = f"{rng.choice(PEOPLE).replace('.', '_').replace('-', '_')}_{org}_example"
        return (f"{org}-my.sharepoint.com",
                f"/:{letter}:/g/personal/{upn}/{token}?e={_tok(rng, B62, 6)}", token)
    site_name = rng.choice(["Marketing", "Finance", "HR", "Projects", "Sales"])
    return (f"{org}.sharepoint.com", f"/:{letter}:/s/{site_name}/{token}?e={_tok(rng, B62, 6)}",
            token)


def _b5_1drv(rng, site):
    if rng.random() < 0.5:
        token = _tok(rng, B64U, 30)
        return "1drv.ms", f"/{rng.choice('uwxbf')}/s!{token}", token
    token = "IQ" + _tok(rng, B64U, 40)
    target = f"/{rng.choice('uwxf')}/c/{_tok(rng, HEX, 16)}/{token}?e={_tok(rng, B62, 6)}"
    return "1drv.ms", target, token


def _b5_authkey(rng, site):
    key = _tok(rng, B64U, 15)
    resid = f"{_tok(rng, HEX.upper(), 16)}!{rng.randrange(100, 99999)}"
    page = rng.choice(["redir", "embed", "download"])
    return "onedrive.live.com", f"/{page}?resid={resid}&authkey=!{key}", key


def _b6(rng, site):
    extra = (f"&resourcekey=0-{_tok(rng, B64U, 22)}" if rng.random() < 0.3 else "")
    usp = rng.choice(["sharing", "share_link", "drive_link"])
    if rng.random() < 0.5:
        fid = "1" + _tok(rng, B64U, 32)
        return "drive.google.com", f"/file/d/{fid}/view?usp={usp}{extra}", fid
    did = "1" + _tok(rng, B64U, 43)
    app = rng.choice(["document", "spreadsheets", "presentation"])
    return "docs.google.com", f"/{app}/d/{did}/edit?usp={usp}{extra}", did


def _b7_scl(rng, site):
    rlkey = _tok(rng, LOWER36, 25)
    kind = rng.choice(["fi", "fi", "fo"])
    return ("www.dropbox.com",
            f"/scl/{kind}/{_tok(rng, LOWER36, 21)}/{rng.choice(FILES)}?rlkey={rlkey}"
            f"&st={_tok(rng, LOWER36, 8)}&dl={rng.choice('01')}", rlkey)


def _b7_legacy(rng, site):
    sid_ = _tok(rng, LOWER36, 15)
    return (rng.choice(["www.dropbox.com", "dl.dropboxusercontent.com"]),
            f"/s/{sid_}/{rng.choice(FILES)}?dl=0", sid_)


def _b8(rng, site):
    token = _tok(rng, LOWER36, 32)
    host = "app.box.com" if rng.random() < 0.6 else f"{_org(rng)}.app.box.com"
    tail = rng.choice(["", "", f"/file/{rng.randrange(10 ** 11, 10 ** 12)}"])
    return host, f"/s/{token}{tail}", token


def _b9_slack(rng, site):
    team = "T" + _tok(rng, UPPER36, rng.randrange(8, 11))
    r = rng.random()
    if r < 0.6:
        token = _tok(rng, B62, 24)
        path = f"/services/{team}/B{_tok(rng, UPPER36, rng.randrange(8, 11))}/{token}"
    elif r < 0.8:
        token = _tok(rng, B62, 24)
        path = (f"/workflows/{team}/A{_tok(rng, UPPER36, rng.randrange(8, 11))}/"
                f"{_tok(rng, DIGITS, 18)}/{token}")
    else:
        token = _tok(rng, HEX, 32)
        path = f"/triggers/{team}/{_tok(rng, DIGITS, 13)}/{token}"
    return "hooks.slack.com", path, token


def _b9_teams(rng, site):
    token = _tok(rng, HEX, 32)
    return (f"{_org(rng)}.webhook.office.com",
            f"/webhookb2/{_guid(rng)}@{_guid(rng)}/IncomingWebhook/{token}/{_guid(rng)}", token)


def _b9_flow(rng, site):
    sig = _tok(rng, B64U, 43)
    wf = _tok(rng, HEX, 32)
    q = (f"?api-version={rng.choice(['2016-06-01', '1'])}"
         f"&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={sig}")
    if rng.random() < 0.5:
        host = f"prod-{rng.randrange(0, 99):02d}.{rng.choice(AZ_REGIONS)}.logic.azure.com"
        return host, f"/workflows/{wf}/triggers/manual/paths/invoke{q}", sig
    host = f"default{_tok(rng, HEX, 32)}.{_tok(rng, HEX, 2)}.environment.api.powerplatform.com"
    path = "/powerautomate/automations/direct"
    return host, f"{path}/workflows/{wf}/triggers/manual/paths/invoke{q}", sig


def _b9_discord(rng, site):
    token = _tok(rng, B64U, 68)
    return (rng.choice(["discord.com", "discordapp.com"]),
            f"/api/webhooks/{_tok(rng, '123456789', 1)}{_tok(rng, DIGITS, 18)}/{token}", token)


def _b9_gchat(rng, site):
    token = _tok(rng, B64U, 43)
    return ("chat.googleapis.com",
            f"/v1/spaces/AAAA{_tok(rng, B64U, 7)}/messages?key=AIzaSy{_tok(rng, B64U, 33)}"
            f"&token={token}%3D", token)


def _b10_authjs(rng, site):
    token = _tok(rng, HEX, 64)
    return (None, f"/api/auth/callback/{rng.choice(['email', 'resend', 'nodemailer'])}?callbackUrl="
                  f"%2F{rng.choice(catalog.WORDS)}&token={token}"
                  f"&email={rng.choice(PEOPLE)}%40{_domain(rng)}",
            token)


def _b10_supabase(rng, site):
    token = _tok(rng, HEX, 56)
    pre = "pkce_" if rng.random() < 0.3 else ""
    return (f"{_tok(rng, 'abcdefghijklmnopqrstuvwxyz', 20)}.supabase.co",
            f"/auth/v1/verify?token={pre}{token}"
            f"&type={rng.choice(['signup', 'magiclink', 'recovery', 'invite'])}"
            f"&redirect_to=http%3A%2F%2F{site}%2F", token)


def _b10_firebase(rng, site):
    code = _tok(rng, B64U, 54)
    mode = rng.choice(["resetPassword", "verifyEmail", "signIn", "recoverEmail"])
    return (f"{_org(rng)}-{_tok(rng, LOWER36, 5)}.firebaseapp.com",
            f"/__/auth/action?mode={mode}&oobCode={code}"
            f"&apiKey=AIzaSy{_tok(rng, B64U, 33)}&lang=en",
            code)


def _b10_wordpress(rng, site):
    key = _tok(rng, B62, 20)
    user = rng.choice(PEOPLE).split(".")[0]
    if rng.random() < 0.5:
        return None, f"/wp-login.php?login={user}&key={key}&action=rp", key
    return None, f"/wp-login.php?action=rp&key={key}&login={user}", key


def _b10_devise(rng, site):
    token = _tok(rng, B64U, 20)
    path, name = rng.choice([("/users/password/edit", "reset_password_token"),
                             ("/users/confirmation", "confirmation_token"),
                             ("/users/unlock", "unlock_token"),
                             ("/users/invitation/accept", "invitation_token")])
    return None, f"{path}?{name}={token}", token


def _b10_django(rng, site):
    token = f"{_tok(rng, LOWER36, 7)}-{_tok(rng, HEX, 32)}"
    uid = _b64url(str(rng.randrange(1, 100000)).encode())
    return None, f"/accounts/reset/{uid}/{token}/", token


def _b10_laravel_reset(rng, site):
    token = _tok(rng, HEX, 64)
    return None, f"/reset-password/{token}?email={rng.choice(PEOPLE)}%40{_domain(rng)}", token


def _b10_laravel_verify(rng, site):
    sig = _tok(rng, HEX, 64)
    return (None, f"/email/verify/{rng.randrange(1, 99999)}/{_tok(rng, HEX, 40)}"
                  f"?expires={rng.randrange(1715600000, 1715800000)}&signature={sig}", sig)


def _b10_keycloak(rng, site):
    realm = rng.choice(["master", "corp", "customers", _org(rng)])
    jwt = _jwt(rng, {"exp": rng.randrange(1715600000, 1715800000), "jti": _guid(rng),
                     "iss": f"http://{site}/realms/{realm}", "sub": _guid(rng),
                     "typ": "reset-credentials", "nonce": _guid(rng)}, "HS512")
    return (None, f"/realms/{realm}/login-actions/action-token?key={jwt}&client_id=account"
                  f"&tab_id={_tok(rng, B64U, 11)}", jwt)


def _b10_generic(rng, site):
    path, param, alpha, n = rng.choice([
        ("/account/verify-email", "token", B62, 32), ("/magic-link/callback", "code", B64U, 40),
        ("/invite/accept", "ticket", B62, 28), ("/auth/confirm", "token", HEX, 40),
        ("/password/reset", "key", B62, 24), ("/signin/email", "t", B64U, 36)])
    value = _tok(rng, alpha, n)
    return None, f"{path}?{param}={value}", value


def _b11_sigv4(rng, site):
    sig = _tok(rng, HEX, 64)
    region = rng.choice(REGIONS)
    day = f"2024{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
    q = (f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA{_tok(rng, UPPER36, 16)}%2F{day}"
         f"%2F{region}%2Fs3%2Faws4_request"
         f"&X-Amz-Date={day}T{rng.randrange(0, 24):02d}{rng.randrange(0, 60):02d}00Z"
         f"&X-Amz-Expires={rng.choice([300, 900, 3600, 86400, 604800])}&X-Amz-SignedHeaders=host"
         f"&X-Amz-Signature={sig}")
    host = f"{_org(rng)}-{rng.choice(['exports', 'uploads', 'reports'])}.s3.{region}.amazonaws.com"
    return host, f"/{rng.choice(['exports', 'shared', 'tmp'])}/{rng.choice(FILES)}?{q}", sig


def _b11_sigv2(rng, site):
    sig, full = _b64_pct(rng, 20)
    return (f"{_org(rng)}-files.s3.amazonaws.com",
            f"/{rng.choice(FILES)}?AWSAccessKeyId=AKIA{_tok(rng, UPPER36, 16)}"
            f"&Expires={rng.randrange(1715600000, 1716200000)}&Signature={full}", sig)


def _b11_gcs4(rng, site):
    sig = _tok(rng, HEX, rng.choice([512, 64]))
    day = f"2024{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
    alg = "GOOG4-RSA-SHA256" if len(sig) == 512 else "GOOG4-HMAC-SHA256"
    q = (f"X-Goog-Algorithm={alg}"
         f"&X-Goog-Credential=signer%40{_org(rng)}-prod.iam.gserviceaccount.com"
         f"%2F{day}%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date={day}T101500Z&X-Goog-Expires=900"
         f"&X-Goog-SignedHeaders=host&X-Goog-Signature={sig}")
    return "storage.googleapis.com", f"/{_org(rng)}-media/{rng.choice(FILES)}?{q}", sig


def _b11_gcs2(rng, site):
    sig, full = _b64_pct(rng, 256)
    return ("storage.googleapis.com",
            f"/{_org(rng)}-media/{rng.choice(FILES)}?GoogleAccessId=signer%40{_org(rng)}-prod.iam."
            f"gserviceaccount.com&Expires={rng.randrange(1715600000, 1716200000)}"
            f"&Signature={full}", sig)


def _b11_sas(rng, site):
    sig, full = _b64_pct(rng, 32)
    acct = f"{_org(rng).replace('-', '')}{_tok(rng, LOWER36, 4)}"[:24]
    day = f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
    if rng.random() < 0.5:
        q = (f"sp=r&st={day}T08:00:00Z&se={day}T16:00:00Z&spr=https&sv=2022-11-02&sr=b&sig={full}")
    else:
        q = (f"sv=2022-11-02&ss=b&srt=sco&sp=rl&se={day}T16%3A00%3A00Z&st={day}T08%3A00%3A00Z"
             f"&spr=https,http&sig={full}")
    return (f"{acct}.{rng.choice(['blob', 'blob', 'file', 'dfs'])}.core.windows.net",
            f"/{rng.choice(['backups', 'media', 'exports'])}/{rng.choice(FILES)}?{q}", sig)


def _b11_cloudfront(rng, site):
    sig = base64.b64encode(rng.randbytes(256)).decode().translate(str.maketrans("+=/", "-_~"))
    return (f"d{_tok(rng, LOWER36, 13)}.cloudfront.net",
            f"/{rng.choice(['videos', 'downloads', 'private'])}/{rng.choice(FILES)}"
            f"?Expires={rng.randrange(1715600000, 1716200000)}&Signature={sig}"
            f"&Key-Pair-Id=K{_tok(rng, UPPER36, 13)}", sig)


def _b12_param(rng, site):
    name = rng.choice(["access_token", "id_token", "refresh_token", "auth_token", "apikey",
                       "api_key", "session", "sid", "sesame"])
    value = _tok(rng, rng.choice([B62, HEX, B64U]), rng.randrange(24, 48))
    w = rng.choice(catalog.WORDS)
    return None, f"/api/v{rng.randrange(1, 4)}/{w}s/export?format=csv&{name}={value}", value


def _b12_jwt(rng, site):
    jwt = _jwt(rng, {"sub": str(rng.randrange(10 ** 5, 10 ** 9)),
                     "exp": rng.randrange(1715600000, 1715800000),
                     "scope": rng.choice(["read", "read write", "share"])})
    if rng.random() < 0.5:
        return None, f"/embed/{jwt}/view", jwt
    return None, f"/{rng.choice(catalog.WORDS)}/open?assertion={jwt}", jwt


KINDS = {
    # name: (kind, uri sid, body sid, min_len, min_entropy, redirect candidate, builder)
    "b1_business": ("b1", 4100001, 4110001, 49, 3.0, True, _b1_business),
    "b1_consumer": ("b1", 4100002, 4110002, 36, 3.0, True, _b1_consumer),
    "b2": ("b2", 4100003, 4110003, 32, 3.0, True, _b2),
    "b3": ("b3", 4100004, 4110004, 60, 4.0, False, _b3),
    "b5_sharepoint": ("b5", 4100005, 4110005, 46, 4.0, False, _b5_sharepoint),
    "b5_1drv": ("b5", 4100006, 4110006, 20, 3.5, False, _b5_1drv),
    "b5_authkey": ("b5", 4100007, 4110007, 12, 2.9, False, _b5_authkey),
    "b6": ("b6", 4100008, 4110008, 25, 3.5, False, _b6),
    "b7_scl": ("b7", 4100009, 4110009, 20, 3.3, False, _b7_scl),
    "b7_legacy": ("b7", 4100010, 4110010, 15, 2.8, False, _b7_legacy),
    "b8": ("b8", 4100011, 4110011, 20, 3.2, False, _b8),
    "b9_slack": ("b9", 4100012, 4110012, 24, 3.3, False, _b9_slack),
    "b9_teams": ("b9", 4100013, 4110013, 32, 3.0, False, _b9_teams),
    "b9_flow": ("b9", 4100014, 4110014, 43, 4.0, False, _b9_flow),
    "b9_discord": ("b9", 4100015, 4110015, 60, 4.0, False, _b9_discord),
    "b9_gchat": ("b9", 4100016, 4110016, 40, 4.0, False, _b9_gchat),
    "b10_authjs": ("b10", 4100017, None, 32, 3.0, True, _b10_authjs),
    "b10_supabase": ("b10", 4100018, None, 32, 3.0, True, _b10_supabase),
    "b10_firebase": ("b10", 4100019, None, 20, 3.5, True, _b10_firebase),
    "b10_wordpress": ("b10", 4100020, None, 20, 3.3, True, _b10_wordpress),
    "b10_devise": ("b10", 4100021, None, 20, 3.3, True, _b10_devise),
    "b10_django": ("b10", 4100022, None, 22, 3.0, True, _b10_django),
    "b10_laravel_reset": ("b10", 4100023, None, 64, 3.3, True, _b10_laravel_reset),
    "b10_laravel_verify": ("b10", 4100024, None, 64, 3.3, True, _b10_laravel_verify),
    "b10_keycloak": ("b10", 4100025, None, 40, 4.0, True, _b10_keycloak),
    "b10_generic": ("b10", 4100026, None, 16, 3.5, True, _b10_generic),
    "b11_sigv4": ("b11", 4100027, 4110017, 64, 3.3, False, _b11_sigv4),
    "b11_sigv2": ("b11", 4100028, 4110018, 20, 3.5, False, _b11_sigv2),
    "b11_gcs4": ("b11", 4100029, 4110019, 64, 3.3, False, _b11_gcs4),
    "b11_gcs2": ("b11", 4100030, 4110020, 20, 3.5, False, _b11_gcs2),
    "b11_sas": ("b11", 4100031, 4110021, 40, 4.0, False, _b11_sas),
    "b11_cloudfront": ("b11", 4100032, 4110022, 40, 4.0, False, _b11_cloudfront),
    "b12_param": ("b12", 4100033, None, 16, 3.5, False, _b12_param),
    "b12_jwt": ("b12", 4100034, None, 30, 4.0, False, _b12_jwt),
}
URI_KINDS = sorted(KINDS)
BODY_KINDS = sorted(k for k, v in KINDS.items() if v[2] is not None)
# Rules whose secret must contain a digit (generic forms).
NEEDS_DIGIT = {"b10_generic", "b12_param"}


def build(rng, name, site):
    """(host or None, target, secret) of kind `name`, drawn until the secret
    clears the rule's filters with a margin."""
    _, _, _, min_len, min_ent, _, fn = KINDS[name]
    for _ in range(50):
        host, target, secret = fn(rng, site)
        # The `secret` of JWT kinds is long and structured; judge its random parts.
        if len(secret) >= min_len and _entropy(secret) >= min_ent + ENTROPY_MARGIN and \
                not _looks_placeholder(secret) and \
                (name not in NEEDS_DIGIT or any(c.isdigit() for c in secret)):
            return host, target, secret
    raise RuntimeError(f"cannot draw a good secret for {name}")


# --- decoys (must not alert) -----------------------------------------------------

def _decoys(rng, site):
    d, who = _domain(rng), rng.choice(PEOPLE)
    page = rng.choice(["Support", "Sales", "Onboarding", "Consulting"])
    return [
        ("calendar.google.com", f"/calendar/ical/{who}%40{d}/public/basic.ics"),
        ("calendar.google.com", f"/calendar/embed?src={who}%40{d}&ctz=Europe%2FBerlin"),
        ("outlook.office365.com", f"/owa/calendar/{page}@{d}/bookings/"),
        ("outlook.office.com", f"/book/{page}@{d}/"),
        ("hooks.slack.com", "/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"),
        (f"{_org(rng)}-reports.s3.amazonaws.com", f"/{rng.choice(['logo.png', 'brochure.pdf'])}"),
        (f"{_org(rng)}-reports.s3.amazonaws.com",
         "/q3.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240514"
         "%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=%3Csignature%3E"),
        ("teams.microsoft.com",
         f"/l/meetup-join/19%3ameeting_{_tok(rng, B62, 48)}%40thread.v2/0"
         f"?context=%7b%22Tid%22%3a%22"
         f"{_guid(rng)}%22%2c%22Oid%22%3a%22{_guid(rng)}%22%7d"),
        ("app.box.com", f"/v/{_org(rng)}-{rng.choice(['press', 'brand', 'careers'])}"),
        (f"{_org(rng)}.sharepoint.com",
         f"/:x:/r/sites/{page}/Shared%20Documents/{rng.choice(FILES)}"
         f"?d=w{_tok(rng, HEX, 32)}&csf=1&web=1"),
        (None, f"/account/verify?token={'x' * rng.randrange(16, 40)}"),
        (None, "/account/verify?token=0123456789abcdef"),
        (None, "/verify?token=1"),
        (None, f"/static/js/app.{_tok(rng, HEX, 16)}.js"),
        (None, f"/api/orders/{_guid(rng)}"),
        (None, f"/api/v1/items?cursor=eyJpZCI6MTJ9&limit=50"),
        (None, f"/?gclid={_tok(rng, B64U, 40)}&utm_source=newsletter&utm_medium=email"),
        (None, "/search?q=password+reset+token"),
        (None, f"/accounts/reset/{_b64url(b'42')}/set-password/"),
        (None, f"/img/banner.png?sv=2024-01-01&sig={_tok(rng, B64U, 43)}"),
        (f"{_org(rng)}data.blob.core.windows.net",
         f"/media/a.png?sv=latest&sig={_tok(rng, B62, 43)}"),
        (f"{_org(rng)}-app.firebaseapp.com",
         f"/__/auth/handler?apiKey=AIzaSy{_tok(rng, B64U, 33)}&appName=web"),
        ("chat.googleapis.com",
         f"/v1/spaces/AAAA{_tok(rng, B64U, 7)}/messages?key=AIzaSy{_tok(rng, B64U, 33)}"),
        ("www.dropbox.com", "/home/Documents"),
        (None, "/login?next=%2Fdashboard&session=spring-conference"),
    ]


# --- bodies -------------------------------------------------------------------------

def _words(rng, n):
    return " ".join(rng.choices(catalog.WORDS, k=n))


def _page(rng, url):
    """(content type, body) carrying url as a link."""
    r = rng.random()
    if r < 0.6:
        href = url.replace("&", "&amp;")
        label = rng.choice(["Subscribe to the calendar", "Open the shared file", "Download",
                            "Your link", "Click here", "Webhook endpoint"])
        html = ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                f"<title>{_words(rng, 2)}</title></head>\n<body>\n<main>\n"
                f"<p>{_words(rng, rng.randrange(20, 200))}.</p>\n"
                f'<p>{label}: <a href="{href}">{href}</a></p>\n'
                f"<p>{_words(rng, rng.randrange(10, 120))}.</p>\n</main>\n</body>\n</html>\n")
        return "text/html; charset=utf-8", html.encode()
    if r < 0.85:
        text = url.replace("/", "\\/")
        if rng.random() < 0.5:
            text = text.replace("&", "\\u0026")
        body = (f'{{"status":"ok","items":[{{"id":{rng.randrange(1, 99999)},'
                f'"name":"{_words(rng, 3)}","url":"{text}",'
                f'"note":"{_words(rng, rng.randrange(5, 60))}"}}]}}')
        return "application/json", body.encode()
    return ("text/plain; charset=utf-8",
            (f"{_words(rng, rng.randrange(10, 80))}.\n\n{url}\n\n"
             f"{_words(rng, rng.randrange(5, 40))}.\n").encode())


# --- the planter -----------------------------------------------------------------------

def _set_host(tx, host, flow):
    tx.host = host
    tx.host_header = host if flow["dest_port"] == 80 else f"{host}:{flow['dest_port']}"


class Planter:
    """plant(rng, plan, flow) hook for scheduler.Generator (see the module doc)."""

    def __init__(self, seed, pct, redirect_pct=10):
        self.rng = random.Random(f"plainsight-secrets/{seed}")
        self.pct = pct
        self.redirect_pct = redirect_pct

    def __call__(self, _session_rng, plan, flow):
        r = self.rng.random() * 100
        if r < self.pct:
            return self._plant(plan, flow)
        if r < 2 * self.pct:
            self._decoy(plan, flow)
        return []

    @staticmethod
    def _uri_candidates(specs):
        return [i for i, tx in enumerate(specs) if tx.method in ("GET", "HEAD", "POST", "PUT")]

    @staticmethod
    def _body_candidates(specs):
        return [i for i, tx in enumerate(specs)
                if tx.method in ("GET", "POST") and tx.status == 200 and tx.has_response_body()]

    def _plant(self, plan, flow):
        rng = self.rng
        specs = plan.specs()
        uri_c, body_c = self._uri_candidates(specs), self._body_candidates(specs)
        where = "body" if body_c and (rng.random() < 0.35 or not uri_c) else "uri"
        if where == "uri" and not uri_c:
            return []
        name = rng.choice(BODY_KINDS if where == "body" else URI_KINDS)
        kind, uri_sid, body_sid, _, _, redirect_ok, _ = KINDS[name]
        i = rng.choice(body_c if where == "body" else uri_c)
        tx = specs[i]
        host, target, secret = build(rng, name, tx.host)
        key = {"src_ip": flow["src_ip"], "src_port": flow["src_port"],
               "dest_ip": flow["dest_ip"], "dest_port": flow["dest_port"]}
        if where == "body":
            scheme = "webcal" if kind in ("b1", "b2", "b3") and rng.random() < 0.3 else \
                rng.choice(["https", "https", "http"])
            ctype, body = _page(rng, f"{scheme}://{host or tx.host}{target}")
            tx.set_body(ctype, body)
            return [{"flow": key, "tx_id": i, "sid": body_sid, "kind": kind, "where": "body",
                     "secret": secret}]
        if host is not None:
            _set_host(tx, host, flow)
        tx.uri = target
        recs = [{"flow": key, "tx_id": i, "sid": uri_sid, "kind": kind, "where": "uri",
                 "secret": secret}]
        if redirect_ok and rng.random() * 100 < self.redirect_pct:
            tx.status = 301
            tx.location = f"https://{tx.host}{tx.uri}"
            tx.content_type = None
            tx.entity = b""
            tx.gzip = False
            tx.response_headers = []
            recs.append(dict(recs[0], sid=SID_REDIRECT))
        return recs

    def _decoy(self, plan, flow):
        rng = self.rng
        specs = plan.specs()
        uri_c, body_c = self._uri_candidates(specs), self._body_candidates(specs)
        host, target = rng.choice(_decoys(rng, specs[0].host if specs else "www.example.com"))
        if body_c and (rng.random() < 0.35 or not uri_c):
            tx = specs[rng.choice(body_c)]
            tx.set_body(*_page(rng, f"https://{host or tx.host}{target}"))
        elif uri_c:
            tx = specs[rng.choice(uri_c)]
            if host is not None:
                _set_host(tx, host, flow)
            tx.uri = target
