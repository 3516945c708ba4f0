"""Where a contact is: ZIP code first, then the state they gave, then their number."""

import pytest
import sqlalchemy as sa

from core.location import LocationError, Place, locate, place_of, state_code
from core.models import Contact
from core.upgrade import locate_contacts

MIAMI = "+13055550199"
MANHATTAN = "+12125550123"
EL_PASO = "+19155550123"  # Texas, but Mountain time
PENSACOLA = "+18504380123"  # Florida, but Central time


def test_a_number_alone_gives_its_area_codes_state_and_zone():
    assert locate(MIAMI) == Place("FL", "America/New_York")
    assert locate(PENSACOLA) == Place("FL", "America/Chicago")
    assert locate("+447911123456").state is None  # no US state outside the US


def test_a_zip_code_beats_the_number():
    """A Miami number kept after moving to Manhattan: New York's rules, not Florida's."""
    assert locate(MIAMI, "10001") == Place("NY", "America/New_York")
    assert locate(MANHATTAN, "32501-1234") == Place("FL", "America/Chicago")


def test_a_state_beats_the_number_and_keeps_the_numbers_zone_when_it_lies_there():
    assert locate(MANHATTAN, state="Texas") == Place("TX", "America/Chicago")
    assert locate(EL_PASO, state="tx") == Place("TX", "America/Denver")


def test_a_zip_code_the_data_does_not_know_falls_back_to_the_state_then_the_number():
    assert locate(MIAMI, "00001", "NY") == Place("NY", "America/New_York")
    assert locate(MIAMI, "00001") == Place("FL", "America/New_York")


@pytest.mark.parametrize("postal_code", ["3310", "ABCDE", "33101-12", "331011"])
def test_a_malformed_zip_code_is_refused(postal_code):
    with pytest.raises(LocationError, match="not a US ZIP code"):
        locate(MIAMI, postal_code)


def test_an_unknown_state_is_refused():
    assert state_code(" florida ") == "FL" and state_code("pr") == "PR"
    with pytest.raises(LocationError, match="not a US state"):
        state_code("Floridia")


def test_a_saved_contact_gets_its_place_from_its_zip_code(session):
    contact = Contact(phone=MIAMI, postal_code="10001")
    session.add(contact)
    session.flush()
    assert (contact.state, contact.timezone) == ("NY", "America/New_York")


def test_changing_the_zip_code_moves_the_contact_and_a_typed_zone_is_kept(session):
    contact = Contact(phone=MANHATTAN)
    session.add(contact)
    session.flush()
    assert (contact.state, contact.timezone) == ("NY", "America/New_York")
    contact.postal_code = "79901"  # El Paso
    session.flush()
    assert (contact.state, contact.timezone) == ("TX", "America/Denver")
    contact.timezone = "America/Chicago"
    session.flush()
    assert contact.timezone == "America/Chicago"
    contact.timezone = ""
    session.flush()
    assert contact.timezone == "America/Denver"


def test_an_edit_that_does_not_touch_the_location_keeps_it(session):
    contact = Contact(phone=MIAMI, state="NY")
    session.add(contact)
    session.flush()
    contact.first_name = "Ana"
    session.flush()
    assert (contact.state, contact.timezone) == ("NY", "America/New_York")


def test_an_unsaved_contact_is_located_on_the_spot():
    assert place_of(Contact(phone=PENSACOLA)) == Place("FL", "America/Chicago")


def test_upgrade_gives_older_contacts_the_state_of_their_number(session):
    session.execute(sa.insert(Contact.__table__), [
        {"phone": MIAMI, "phone_hmac": "a", "timezone": "America/New_York", "tags": [],
         "attributes": {}},
        {"phone": "+447911123456", "phone_hmac": "b", "timezone": None, "tags": [],
         "attributes": {}}])
    assert locate_contacts() == 1
    assert session.scalar(sa.select(Contact.state).where(Contact.phone == MIAMI)) == "FL"


def test_a_time_zone_must_be_an_iana_name():
    with pytest.raises(LocationError, match="not an IANA time zone"):
        Contact(phone=MIAMI, timezone="Eastern")
    assert Contact(phone=MIAMI, timezone="America/Chicago").timezone == "America/Chicago"
