"""The mobile bindings through the real FFI, from Python.

Run by scripts/test-bindings with:
  BINDINGS_DIR      the generated module, with the library beside it (empty:
                    the installed package, as scripts/package-bindings --test does)
  OUTREACH_URL      a running `outreach serve` on 127.0.0.1
  INVITE_A, INVITE_B, INVITE_C, INVITE_D  champion invite codes for patch elm-road
  INVITE_ADMIN, INVITE_ADMIN_D  admin invite codes (to read the reports)
  INVITE_E          a champion invite code for patch elm-road (groups)
  INVITE_GROUPS_ADMIN  an admin invite code (to make a working group)
"""

import gc
import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request

if os.environ.get("BINDINGS_DIR"):
    sys.path.insert(0, os.environ["BINDINGS_DIR"])
import mobile_bindings as mb  # noqa: E402

print(f"python: testing the bindings in {os.path.dirname(mb.__file__)}")

URL = os.environ["OUTREACH_URL"]
DEVICE = "01900000-0000-7000-8000-0000000000aa"


def conversation(outcome, name=None, person_id=None, email=None, address_id=None, **details):
    return mb.Conversation(
        person_id=person_id,
        area="north-estate",
        patch="elm-road",
        outcome=outcome,
        name=name,
        phone=None,
        email=email,
        age_band=mb.AgeGroup.FROM35_TO44,
        topics=["parks"],
        wants_to_join=["litter-pick"],
        follow_up="Send the litter-pick dates",
        follow_up_due_ms=None,
        consent_to_contact=True,
        consent_wording_version="2026-09",
        address_id=address_id,
        **details,
    )


def sign_up(event_id, n, under_13):
    return mb.SignUp(
        event_id=event_id,
        area="north-estate",
        patch="elm-road",
        name=f"Young person {n}",
        phone=None,
        email=None,
        age_band=mb.AgeGroup.UNDER13 if under_13 else mb.AgeGroup.FROM13_TO17,
        consent_given=True,
        consent_by=mb.ConsentBy.GUARDIAN if under_13 else mb.ConsentBy.SUBJECT,
        consent_wording_version="2026-09",
        attended=True,
    )


def test_offline_work_survives_reopening():
    with tempfile.TemporaryDirectory() as directory:
        store = mb.OutreachStore.open(directory, DEVICE)
        logged = store.log_conversation(conversation(mb.Outcome.SPOKE, name="Sam Python"))
        event = store.create_event(
            mb.EventInput(
                area="north-estate",
                patch="elm-road",
                title="Youth session",
                kind=mb.EventType.YOUTH_SESSION,
                starts_at_ms=int(time.time() * 1000),
                ends_at_ms=None,
                place="Youth club",
            )
        )
        started = time.monotonic()
        for n in range(50):
            store.sign_up(sign_up(event, n, under_13=n % 3 == 0))
        elapsed = time.monotonic() - started
        print(f"python: 50 sign-ups in {elapsed * 1000:.0f} ms")
        del store
        gc.collect()

        store = mb.OutreachStore.open(directory, DEVICE)
        sam = store.person(logged.person_id)
        assert sam.name == "Sam Python", sam
        assert sam.last_outcome == mb.Outcome.SPOKE
        assert len(store.people(None)) == 51
        assert len(store.people("sam")) == 1
        assert all(p.under_18 for p in store.people("young person"))
        doors = store.door_list(None)
        assert [p.id for p in doors] == [logged.person_id], doors
        owed = store.follow_ups_owed()
        assert len(owed) == 1 and owed[0].what == "Send the litter-pick dates"
        assert store.pending_changes() == 52


def test_search_ignores_accents_and_comes_in_pages():
    with tempfile.TemporaryDirectory() as directory:
        store = mb.OutreachStore.open(directory, DEVICE)
        for name in ["Zoë Adams", "ZOE BAKER", "Zoe Clark", "Ann Lee"]:
            store.log_conversation(conversation(mb.Outcome.SPOKE, name=name))
        found = [p.name for p in store.people("zoe")]
        assert found == ["Zoë Adams", "ZOE BAKER", "Zoe Clark"], found
        page = [p.name for p in store.people_page("ZOË", 1, 1)]
        assert page == ["ZOE BAKER"], page
        assert len(store.people_page(None, 0, 10)) == 4
        assert store.people_page(None, 4, 10) == []


def test_a_walk_list_works_offline():
    with tempfile.TemporaryDirectory() as directory:
        store = mb.OutreachStore.open(directory, DEVICE)

        def door(house):
            return mb.DoorInput(
                area="north-estate",
                patch="elm-road",
                house=house,
                street="Oak Lane",
                locality=None,
                postcode="AB1 2CD",
                latitude=None,
                longitude=None,
            )

        twelve = store.add_door(door("12"))
        two = store.add_door(door("2"))
        store.record_knock(two, mb.Outcome.NOT_IN)
        store.record_knock(two, mb.Outcome.NOT_IN)
        store.record_knock(store.add_door(door("4")), mb.Outcome.NO_KNOCKING)
        logged = store.log_conversation(
            conversation(mb.Outcome.SPOKE, name="Ali Door", address_id=twelve)
        )
        walk = store.walk_list("elm-road", None, None)
        assert [s.address_id for s in walk] == [two, twelve], walk
        assert walk[0].revisit == [mb.Revisit.TRY_ANOTHER_TIME]
        assert walk[1].residents[0].person_id == logged.person_id
        assert walk[1].last_outcome == mb.Outcome.SPOKE


def test_an_events_headcount_is_set_at_creation_and_changed():
    with tempfile.TemporaryDirectory() as directory:
        store = mb.OutreachStore.open(directory, DEVICE)
        carnival = store.create_event(
            mb.EventInput(
                area="north-estate",
                patch="elm-road",
                title="Carnival",
                kind=mb.EventType.FUN_DAY,
                starts_at_ms=int(time.time() * 1000),
                ends_at_ms=None,
                place="The green",
                headcount=900,
            )
        )
        [listed] = store.events()
        assert listed.id == carnival and listed.headcount == 900, listed
        store.set_event_headcount(carnival, 1200)
        try:
            store.set_event_headcount(carnival, 100_001)
        except mb.OutreachError.Invalid as e:
            assert "headcount" in str(e), e
        else:
            raise AssertionError("a headcount beyond any event's was accepted")
        del store
        gc.collect()
        store = mb.OutreachStore.open(directory, DEVICE)
        assert store.events()[0].headcount == 1200, store.events()
        store.set_event_headcount(carnival, None)
        assert store.events()[0].headcount is None


def test_bad_input_is_a_typed_error():
    with tempfile.TemporaryDirectory() as directory:
        store = mb.OutreachStore.open(directory, DEVICE)
        try:
            store.log_conversation(conversation(mb.Outcome.SPOKE, email="not an email"))
        except mb.OutreachError.Invalid as e:
            assert "email" in str(e), e
        else:
            raise AssertionError("a bad email was accepted")
        try:
            store.person("not an id")
        except mb.OutreachError.Invalid:
            pass
        else:
            raise AssertionError("a bad id was accepted")
        try:
            store.apply_sync_response(b"junk")
        except mb.OutreachError.Sync:
            pass
        else:
            raise AssertionError("a junk response was applied")
        assert store.people(None) == []


def register(invite_code):
    request = urllib.request.Request(
        f"{URL}/v1/devices",
        data=json.dumps({"invite_code": invite_code, "name": "python phone"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.load(response)
    return body["device_id"], body["token"]


class UrllibTransport(mb.HttpTransport):
    """The app's side of sync: POST the bytes, return the answer."""

    def __init__(self, token):
        self.token = token
        self.calls = 0

    def post_sync(self, body):
        self.calls += 1
        request = urllib.request.Request(
            f"{URL}/v1/sync",
            data=bytes(body),
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/octet-stream",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.read()
        except (urllib.error.URLError, OSError) as e:
            raise mb.OutreachError.Transport(reason=str(e))


class NoSignal(mb.HttpTransport):
    def post_sync(self, body):
        raise mb.OutreachError.Transport(reason="no signal")


def test_sync_with_a_real_server():
    device_a, token_a = register(os.environ["INVITE_A"])
    device_b, token_b = register(os.environ["INVITE_B"])
    with tempfile.TemporaryDirectory() as dir_a, tempfile.TemporaryDirectory() as dir_b:
        phone_a = mb.OutreachStore.open(dir_a, device_a)
        logged = phone_a.log_conversation(conversation(mb.Outcome.SPOKE, name="Pat from Python"))
        transport_a = UrllibTransport(token_a)
        result = phone_a.sync(transport_a)
        assert result.accepted == 1 and result.rejected == 0, result
        assert phone_a.pending_changes() == 0
        assert transport_a.calls >= 1

        phone_b = mb.OutreachStore.open(dir_b, device_b)
        result = phone_b.sync(UrllibTransport(token_b))
        assert result.received >= 1, result
        found = phone_b.people("pat from python")
        assert [p.id for p in found] == [logged.person_id], found

        # Sans-I/O sync works the same way.
        phone_b.log_conversation(
            conversation(mb.Outcome.NOT_IN, person_id=logged.person_id)
        )
        transport_b = UrllibTransport(token_b)
        outcome = phone_b.apply_sync_response(transport_b.post_sync(phone_b.sync_request()))
        assert outcome.accepted == 1, outcome
        phone_a.sync(transport_a)
        assert phone_a.person(logged.person_id).interactions == 2

        # A transport failure is a typed error, and nothing is lost.
        broken = NoSignal()
        phone_a.log_conversation(conversation(mb.Outcome.REFUSED))
        try:
            phone_a.sync(broken)
        except mb.OutreachError.Transport:
            pass
        else:
            raise AssertionError("a failed transport went unnoticed")
        assert phone_a.pending_changes() == 1


def get_json(path, token):
    request = urllib.request.Request(
        f"{URL}{path}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def test_residency_recorded_on_a_phone_counts_on_the_resident_led_report():
    device, token = register(os.environ["INVITE_C"])
    _, admin_token = register(os.environ["INVITE_ADMIN"])
    with tempfile.TemporaryDirectory() as directory:
        phone = mb.OutreachStore.open(directory, device)
        chair = phone.log_conversation(
            conversation(
                mb.Outcome.SPOKE,
                name="Chair from Python",
                residency=[mb.ResidencyBasis.LIVES],
                tenure=mb.HousingTenure.SOCIAL_RENT,
                language="so",
            )
        )
        worker = phone.log_conversation(conversation(mb.Outcome.SPOKE, name="Works here"))
        phone.edit_person(
            worker.person_id,
            mb.PersonEdit(residency=[mb.ResidencyBasis.WORKS]),
        )
        now_ms = int(time.time() * 1000)
        for person in (chair.person_id, worker.person_id):
            phone.record_role(person, mb.HeldRole.PARTNERSHIP_MEMBER, now_ms - 60_000)
        summary = phone.person(chair.person_id)
        assert summary.residency == [mb.ResidencyBasis.LIVES], summary
        assert summary.tenure == mb.HousingTenure.SOCIAL_RENT, summary
        result = phone.sync(UrllibTransport(token))
        assert result.rejected == 0, result

    report = get_json("/v1/reports/resident-led", admin_token)
    current = report["current"]
    assert current["members"] == 2, report
    shares = {share["definition"]: share["residents"] for share in current["shares"]}
    # "Lives, works, studies or worships" counts both; "lives here" the chair.
    assert shares == {"connected": 2, "lives-here": 1}, report



def test_roles_carry_the_hats_worn_in_them_set_and_changed_on_a_phone():
    device, token = register(os.environ["INVITE_D"])
    _, admin_token = register(os.environ["INVITE_ADMIN_D"])
    with tempfile.TemporaryDirectory() as directory:
        phone = mb.OutreachStore.open(directory, device)
        member = phone.log_conversation(
            conversation(mb.Outcome.SPOKE, name="Councillor from Python")
        )
        now_ms = int(time.time() * 1000)
        entry = phone.record_role_with_hats(
            member.person_id,
            mb.HeldRole.PARTNERSHIP_MEMBER,
            now_ms - 60_000,
            [mb.OtherHat.COUNCILLOR],
        )
        roles = phone.roles(member.person_id)
        assert [(r.entry_id, r.role, r.hats) for r in roles] == [
            (entry, mb.HeldRole.PARTNERSHIP_MEMBER, [mb.OtherHat.COUNCILLOR])
        ], roles
        # A role recorded without hats takes them later, and they change.
        chair = phone.record_role(member.person_id, mb.HeldRole.CHAIR, now_ms - 30_000)
        phone.set_role_hats(member.person_id, chair, [mb.OtherHat.PAID_WORKER, mb.OtherHat.COUNCILLOR])
        phone.set_role_hats(member.person_id, entry, [])
        hats = {r.entry_id: r.hats for r in phone.roles(member.person_id)}
        assert hats == {entry: [], chair: [mb.OtherHat.COUNCILLOR, mb.OtherHat.PAID_WORKER]}, hats
        try:
            phone.set_role_hats(member.person_id, member.entry_id, [mb.OtherHat.OTHER])
            raise AssertionError("a conversation has no hats")
        except mb.OutreachError:
            pass
        result = phone.sync(UrllibTransport(token))
        assert result.rejected == 0, result

    report = get_json("/v1/reports/resident-led", admin_token)
    wearing = {check["hat"]: check["wearing"] for check in report["not_counting_hats"]}
    assert wearing["paid-worker"] >= 1 and wearing["councillor"] >= 1, report


def send_json(path, token, body):
    request = urllib.request.Request(
        f"{URL}{path}",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def test_a_group_made_on_the_server_reaches_the_phone_and_takes_members():
    device, token = register(os.environ["INVITE_E"])
    _, admin_token = register(os.environ["INVITE_GROUPS_ADMIN"])
    group_id = send_json(
        "/v1/admin/groups", admin_token, {"name": "Elm Road gardeners", "patch": "elm-road"}
    )["id"]
    with tempfile.TemporaryDirectory() as directory:
        phone = mb.OutreachStore.open(directory, device)
        assert phone.groups() == []
        phone.sync(UrllibTransport(token))
        groups = phone.groups()
        assert [(g.id, g.name, g.patch, g.closed) for g in groups] == [
            (group_id, "Elm Road gardeners", "elm-road", False)
        ], groups
        sam = phone.log_conversation(conversation(mb.Outcome.SPOKE, name="Sam Gardener"))
        now_ms = int(time.time() * 1000)
        entry = phone.join_group(sam.person_id, group_id, now_ms - 86_400_000)
        # Twice is refused; so is leaving before joining; so is a group
        # this phone does not hold.
        for refused in (
            lambda: phone.join_group(sam.person_id, group_id, now_ms),
            lambda: phone.leave_group(sam.person_id, entry, now_ms - 2 * 86_400_000),
        ):
            try:
                refused()
            except mb.OutreachError.Invalid:
                pass
            else:
                raise AssertionError("refused nothing")
        try:
            phone.join_group(sam.person_id, sam.person_id, now_ms)
        except mb.OutreachError.NotFound:
            pass
        else:
            raise AssertionError("joined a group that is not one")
        result = phone.sync(UrllibTransport(token))
        assert result.rejected == 0, result
        listed = get_json("/v1/admin/groups", admin_token)
        assert [(g["id"], g["members_now"]) for g in listed] == [(group_id, 1)], listed
        phone.leave_group(sam.person_id, entry, now_ms)
        assert phone.sync(UrllibTransport(token)).rejected == 0
        listed = get_json("/v1/admin/groups", admin_token)
        assert [(g["id"], g["members_now"]) for g in listed] == [(group_id, 0)], listed


if __name__ == "__main__":
    tests = [value for name, value in sorted(globals().items()) if name.startswith("test_")]
    for test in tests:
        test()
        print(f"python: {test.__name__} ... ok")
    print(f"python: {len(tests)} passed")
