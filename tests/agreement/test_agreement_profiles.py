"""The shipped profiles load, and the canonical hash identifies exactly one agreement file."""

from __future__ import annotations

import hashlib
from importlib import resources

import pytest
import rfc8785
import yaml

from acuerdo.agreement import (
    Agreement,
    list_profiles,
    load_agreement,
    load_profile,
    load_text,
    summary,
)


def profile_text(name: str) -> str:
    resource = resources.files("acuerdo.agreement") / "profiles" / f"{name}.yaml"
    return resource.read_text(encoding="utf-8")


def test_both_profiles_are_shipped() -> None:
    assert list_profiles() == ["nato-sofa-1951", "usa-pry-2025"]


@pytest.mark.parametrize("name", ["usa-pry-2025", "nato-sofa-1951"])
def test_profile_loads_and_identifies_itself(name: str) -> None:
    agreement = load_profile(name)
    assert agreement.id == name
    assert len(agreement.hash) == 64
    assert agreement.host_party.role == "host"
    assert agreement.sending_parties
    assert all(p.root_keys == [] for p in agreement.model.parties)


@pytest.mark.parametrize("name", ["usa-pry-2025", "nato-sofa-1951"])
def test_hash_is_sha256_of_the_rfc8785_form_of_the_document(name: str) -> None:
    """Checked with independent code: PyYAML's stock safe loader and the rfc8785 package.

    The profiles quote their dates and write booleans as true/false, so the stock loader
    (which would turn bare dates into ``date`` objects) reads the same data as ours.
    """
    document = yaml.safe_load(profile_text(name))
    expected = hashlib.sha256(rfc8785.dumps(document)).hexdigest()
    assert load_profile(name).hash == expected


@pytest.mark.parametrize("name", ["usa-pry-2025", "nato-sofa-1951"])
def test_hash_is_stable_across_loads_and_layout(name: str) -> None:
    text = profile_text(name)
    first = load_text(text)
    again = load_profile(name)
    relaid = load_text("# a comment changes nothing\n" + text.replace("\n\n", "\n\n\n"))
    assert first.hash == again.hash == relaid.hash


def test_hash_changes_when_a_value_changes() -> None:
    text = profile_text("usa-pry-2025")
    original = load_text(text)
    changed = load_text(text.replace("    value: 45\n", "    value: 60\n", 1))
    assert changed.parameter("notice-multinational-training").value == 60
    assert changed.hash != original.hash


def test_summary_names_id_hash_parties_and_counts(usa_pry: Agreement) -> None:
    text = summary(usa_pry)
    assert "usa-pry-2025" in text
    assert f"sha256:{usa_pry.hash}" in text
    assert "USA (sending)" in text and "PRY (host)" in text
    assert "4 (2 covered, 2 not)" in text
    assert "7 types" in text
    assert "14 (14 provisional)" in text
    assert "2 with public wording, 6 not public" in text


def test_load_agreement_reads_a_path(usa_pry: Agreement) -> None:
    assert usa_pry.source_path is not None
    copy = load_agreement(usa_pry.source_path)
    assert copy.hash == usa_pry.hash and copy.source_path == usa_pry.source_path


def test_unknown_profile_names_the_shipped_ones() -> None:
    with pytest.raises(KeyError, match="usa-pry-2025"):
        load_profile("usa-bra-2030")


def test_document_served_is_a_copy(usa_pry: Agreement) -> None:
    document = usa_pry.document
    assert isinstance(document, dict)
    document["format"] = 2
    assert isinstance(usa_pry.document, dict) and usa_pry.document["format"] == 1


def test_parties_and_parameters_are_looked_up_by_id(usa_pry: Agreement) -> None:
    assert usa_pry.party("PRY").role == "host"
    assert [p.code for p in usa_pry.sending_parties] == ["USA"]
    with pytest.raises(KeyError):
        usa_pry.party("BRA")
    notice = usa_pry.parameter("notice-bilateral-training")
    assert (notice.unit, notice.provisional, notice.source.reference) == (
        "calendar-days",
        True,
        "pending",
    )
    with pytest.raises(KeyError):
        usa_pry.parameter("no-such-parameter")


def test_usa_pry_marks_what_is_not_public(usa_pry: Agreement) -> None:
    public = {a.id for a in usa_pry.model.articles if a.public}
    assert public == {"1", "2"}
    unnumbered = [a for a in usa_pry.model.articles if "article number not public" in a.id]
    assert unnumbered and not any(a.public for a in unnumbered)
    # Every period is a provisional Joint Committee value, not an invented article value.
    for parameter in usa_pry.model.parameters:
        assert parameter.provisional
        assert parameter.source.kind == "joint-committee-decision"
        assert parameter.source.reference == "pending"


def test_usa_pry_agencies(usa_pry: Agreement) -> None:
    host = {a.id for a in usa_pry.host_party.agencies}
    assert {"mre", "mdn", "migraciones", "aduanas", "policia", "senad", "joint-committee"} <= host


def test_sharing_defaults_by_type_then_class(usa_pry: Agreement) -> None:
    default = usa_pry.sharing_default("movement-order", "agreement")
    assert default is not None and default.tlp == "amber"
    assert default.releasable_to == ["$host", "$sending"]
    assert usa_pry.sharing_default("indicator", "intel") is None
    assert usa_pry.model.sharing.unmarked_intel.tlp == "amber"
    assert {"registrar", "verifier"} <= set(usa_pry.model.sharing.personal_data_roles)
