"""A champion's phone joins with an invite made in the dashboard, through
the bindings, and its conversations show under the champion's name.

This is the partnership's set-up as it happens: an admin signs in with a
one-time link, names a phone "Oak Lane champion" and ticks its patch on
the devices page; the app registers with the code the page shows, logs
conversations offline through the bindings and syncs; the champions
report names the phone.

Run by scripts/test-bindings with:
  BINDINGS_DIR      the generated module, with the library beside it (empty:
                    the installed package)
  OUTREACH_URL      a running `outreach serve` on 127.0.0.1 with patch elm-road
  ADMIN_SIGN_IN     a one-time admin sign-in link (`outreach admin sign-in-link`)
"""

import html
import http.cookiejar
import os
import re
import sys
import tempfile
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The app's side, as the other binding tests do it: registering with an
# invite code, and a transport that posts sync messages.
from test_bindings import URL, UrllibTransport, mb, register  # noqa: E402
CHAMPION = "Oak Lane champion"


class Browser:
    """Just enough of a browser: keeps the session cookie, follows redirects."""

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path):
        with self.opener.open(f"{URL}{path}", timeout=30) as response:
            return response.read().decode()

    def post(self, path, fields):
        data = urllib.parse.urlencode(fields).encode()
        with self.opener.open(f"{URL}{path}", data=data, timeout=30) as response:
            return response.read().decode()


def one(pattern, page, what):
    found = re.search(pattern, page)
    assert found, f"no {what} on the page:\n{page}"
    return html.unescape(found.group(1))


def test_a_phone_joins_with_a_dashboard_invite_and_is_named_on_the_reports():
    admin = Browser()
    sign_in = urllib.parse.urlparse(os.environ["ADMIN_SIGN_IN"]).path
    # Opening the link shows a button (so a mail scanner that fetches it
    # does not use it up); pressing it posts the code.
    page = admin.get(sign_in)
    code = one(r'name="code" value="([^"]+)"', page, "sign-in code")
    admin.post("/sign-in/link", [("code", code)])
    devices = admin.get("/admin/devices")
    csrf = one(r'name="csrf" value="([^"]+)"', devices, "form token")
    made = admin.post(
        "/admin/invites",
        [("csrf", csrf), ("role", "champion"), ("name", CHAMPION), ("patches", "elm-road")],
    )
    code = one(r'id="new-invite-code">([^<]+)<', made, "invite code")
    link = one(r'id="new-invite-link">([^<]+)<', made, "invite link")
    assert link.endswith(f"/join/{code}"), link

    device, token = register(code)
    with tempfile.TemporaryDirectory() as directory:
        phone = mb.OutreachStore.open(directory, device)
        # Enough conversations that the report shows them rather than
        # "fewer than N".
        for n in range(12):
            phone.log_conversation(
                mb.Conversation(
                    person_id=None,
                    area="north-estate",
                    patch="elm-road",
                    outcome=mb.Outcome.SPOKE,
                    name=f"Neighbour {n}",
                    phone=None,
                    email=None,
                    age_band=mb.AgeGroup.FROM35_TO44,
                    topics=["parks"],
                    wants_to_join=[],
                    follow_up=None,
                    follow_up_due_ms=None,
                    consent_to_contact=True,
                    consent_wording_version="2026-09",
                    address_id=None,
                )
            )
        result = phone.sync(UrllibTransport(token))
        assert result.accepted == 12 and result.rejected == 0, result

    report = admin.get("/reports/champions")
    assert CHAMPION in report, report
    # The device carries the invite's name whatever the phone called itself.
    assert CHAMPION in admin.get("/admin/devices")


if __name__ == "__main__":
    test_a_phone_joins_with_a_dashboard_invite_and_is_named_on_the_reports()
    print("python: test_a_phone_joins_with_a_dashboard_invite_and_is_named_on_the_reports ... ok")
